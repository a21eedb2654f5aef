import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO_ROOT } from './paths.js';

export function svmtest(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}) {
  return execa(process.execPath, [BIN, ...args], {
    reject: false,
    cwd: options.cwd ?? REPO_ROOT,
    env: { NO_COLOR: '1', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', ...options.env },
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
}

export function tempDir(label = 'svmtest-'): string {
  return mkdtempSync(join(tmpdir(), label));
}

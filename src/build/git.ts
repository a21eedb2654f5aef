import { execa } from 'execa';
import { InfraError } from '../model/errors.js';

export interface GitResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** git with an argument vector; never a shell string. */
export async function git(cwd: string, args: readonly string[], options: { input?: string; allowFail?: boolean } = {}): Promise<GitResult> {
  const result = await execa('git', ['-C', cwd, ...args], {
    reject: false,
    ...(options.input !== undefined ? { input: options.input } : {}),
    env: {
      GIT_TERMINAL_PROMPT: '0',
      GIT_COMMITTER_NAME: 'svmtest',
      GIT_COMMITTER_EMAIL: 'svmtest@localhost',
      GIT_AUTHOR_NAME: 'svmtest',
      GIT_AUTHOR_EMAIL: 'svmtest@localhost',
    },
  });
  const out = { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
  if (out.exitCode !== 0 && !options.allowFail) {
    throw new InfraError(`git ${args.join(' ')} failed in ${cwd}: ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return out;
}

import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO_ROOT } from './paths.js';

// svmtest in a real pseudo-terminal: tmux gives it a tty of a known size, and `send-keys C-c`
// reaches the whole foreground process group, as a user's Ctrl-C does (a `kill -INT` of one PID
// does not).

export interface Terminal {
  /** Presses Ctrl-C in the terminal. */
  interrupt(): Promise<void>;
  /** Waits for the command's end: its exit code and what the terminal shows. */
  ended(timeoutMs?: number): Promise<{ exitCode: number; screen: string }>;
  close(): Promise<void>;
}

async function tmux(args: readonly string[]): Promise<string> {
  const r = await execa('tmux', args, { reject: false });
  if (r.exitCode !== 0 && !String(r.stderr).includes('no server')) {
    throw new Error(`tmux ${args.join(' ')}: ${r.stderr || r.stdout} (install tmux: apt-get install tmux)`);
  }
  return String(r.stdout);
}

let sessions = 0;

/** Starts `svmtest args` in a fresh tmux session; `pipe` appends a shell pipeline (`| tee F`). */
export async function svmtestInTerminal(
  dir: string,
  args: readonly string[],
  options: { env?: Record<string, string>; pipe?: string } = {},
): Promise<Terminal> {
  const session = `svmtest-${process.pid}-${++sessions}`;
  const exitFile = join(dir, `${session}.exit`);
  const script = join(dir, `${session}.sh`);
  const env = Object.entries({ NO_COLOR: '1', CI: '', GITHUB_ACTIONS: '', ...options.env }).map(([k, v]) =>
    v === '' ? `unset ${k}` : `export ${k}=${quote(v)}`,
  );
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  writeFileSync(
    script,
    [
      '#!/bin/bash',
      `cd ${quote(REPO_ROOT)}`,
      ...env,
      `${command}${options.pipe ? ` ${options.pipe}` : ''}`,
      `echo "\${PIPESTATUS[0]}" > ${quote(exitFile)}`,
      'sleep 600',
      '',
    ].join('\n'),
  );
  await tmux(['new-session', '-d', '-s', session, '-x', '160', '-y', '50', 'bash', script]);
  return {
    interrupt: async () => void (await tmux(['send-keys', '-t', session, 'C-c'])),
    ended: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!existsSync(exitFile) || !readFileSync(exitFile, 'utf8').endsWith('\n')) {
        if (Date.now() > deadline) throw new Error(`svmtest did not end within ${timeoutMs} ms; screen:\n${await tmux(['capture-pane', '-p', '-t', session])}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const screen = await tmux(['capture-pane', '-p', '-J', '-S', '-200', '-t', session]);
      return { exitCode: Number(readFileSync(exitFile, 'utf8').trim()), screen };
    },
    close: async () => void (await tmux(['kill-session', '-t', session])),
  };
}

function quote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

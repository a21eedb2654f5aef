import { existsSync, mkdirSync, openSync, readSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandSpec, ExitInfo } from '../target.js';

// Runs the command and records its exit status; 128+N means it died of signal N. A constant:
// the command itself travels as separate NUL-separated arguments, never inside a shell string.
const WRAPPER = '"$@"; echo $? > "$SVMTEST_RC"';

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };

export function exitFromStatus(status: number): ExitInfo {
  if (status > 128 && status < 160) return { exitCode: null, signal: SIGNALS[status - 128] ?? `SIG${status - 128}` };
  return { exitCode: status, signal: null };
}

/** One command for the guest agent: a request directory, then its growing output files. */
export class AgentRequest {
  private readonly offsets = { stdout: 0, stderr: 0 };
  private readonly partial = { stdout: '', stderr: '' };

  constructor(readonly dir: string) {}

  static create(parent: string, id: number, spec: CommandSpec): AgentRequest {
    const final = join(parent, String(id));
    const staging = join(parent, `.${id}`);
    mkdirSync(staging, { recursive: true });
    const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const parts = [...env, 'sh', '-c', WRAPPER, 'sh', ...spec.argv];
    writeFileSync(join(staging, 'cmdline'), `${parts.join('\0')}\0`);
    writeFileSync(join(staging, 'cwd'), spec.cwd ?? '/');
    writeFileSync(join(staging, 'go'), '');
    renameSync(staging, final); // the agent sees a request only when it is whole
    return new AgentRequest(final);
  }

  kill(signal: NodeJS.Signals): void {
    try {
      writeFileSync(join(this.dir, 'kill'), signal.replace(/^SIG/, ''));
    } catch {
      // the request is gone already
    }
  }

  /** Reads what the command wrote since the last call, as whole lines. */
  drain(onLine: (stream: 'stdout' | 'stderr', line: string) => void, final = false): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const file = join(this.dir, stream);
      if (!existsSync(file)) continue;
      const fd = openSync(file, 'r');
      try {
        const size = fstatSync(fd).size;
        if (size > this.offsets[stream]) {
          const buffer = Buffer.alloc(size - this.offsets[stream]);
          readSync(fd, buffer, 0, buffer.length, this.offsets[stream]);
          this.offsets[stream] = size;
          const text = this.partial[stream] + buffer.toString('utf8');
          const lines = text.split('\n');
          this.partial[stream] = lines.pop() ?? '';
          for (const line of lines) onLine(stream, line);
        }
      } finally {
        closeSync(fd);
      }
      if (final && this.partial[stream] !== '') {
        onLine(stream, this.partial[stream]);
        this.partial[stream] = '';
      }
    }
  }

  rawStdout(): Buffer {
    const file = join(this.dir, 'stdout');
    return existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  }

  status(): ExitInfo | undefined {
    const file = join(this.dir, 'rc');
    if (!existsSync(file)) return undefined;
    const status = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(status) ? exitFromStatus(status) : { exitCode: 255, signal: null };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

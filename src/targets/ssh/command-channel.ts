import { randomBytes } from 'node:crypto';
import type { StartedGroup } from '../machine/process-group.js';
import type { ExecResult } from '../target.js';
import { quoteArgv } from './remote-shell.js';

export type ChannelResult = ExecResult & { readonly bytes: Buffer };

// The remote half: one shell that reads a command (lines up to a per-channel random end line),
// runs it in a subshell with its output in files, and answers with a header
// "@@svm <status> <stdout bytes> <stderr bytes>" followed by exactly those bytes.
const LOOP = [
  'end=$1; d=$(mktemp -d) || exit 1',
  'trap \'rm -rf "$d"\' EXIT',
  'while :; do',
  '  : > "$d/c"; got=',
  '  while IFS= read -r l; do if [ "$l" = "$end" ]; then got=1; break; fi; printf "%s\\n" "$l" >> "$d/c"; done',
  '  [ -n "$got" ] || exit 0',
  '  ( . "$d/c" ) </dev/null >"$d/o" 2>"$d/e"; rc=$?',
  '  set -- $(wc -c "$d/o" "$d/e")', // one wc for both sizes: "N1 o N2 e N total"
  '  printf "@@svm %s %s %s\\n" "$rc" "$1" "$3"',
  '  cat "$d/o" "$d/e"',
  'done',
].join('\n');

/**
 * Short commands over one long-lived remote shell: no ssh client process and no SSH session per
 * command, so a file read or a topology probe costs a round trip. One command at a time; a command
 * that overruns its time limit takes the channel down with it, and the next one starts a new channel.
 */
export class CommandChannel {
  private shell: StartedGroup | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly end = `@@svmtest-end-${randomBytes(12).toString('hex')}`;

  constructor(private readonly start: (remoteLine: string) => StartedGroup) {}

  private pending = 0;

  /** No command running or waiting: a heartbeat through it measures the round trip alone. */
  get idle(): boolean {
    return this.pending === 0;
  }

  run(argv: readonly string[], timeoutMs = 60_000): Promise<ChannelResult> {
    this.pending++;
    const result = this.queue.then(() => this.runNow(argv, timeoutMs)).finally(() => this.pending--);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private open(): StartedGroup {
    const shell = this.start(quoteArgv(['sh', '-c', LOOP, 'svmtest', this.end]));
    shell.child.stdin!.on('error', () => undefined); // a channel that died is seen when its answer never comes
    shell.child.stdout!.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    void shell.done.then(() => {
      if (this.shell === shell) this.shell = undefined;
      this.wake?.();
    });
    this.buffer = Buffer.alloc(0);
    this.shell = shell;
    return shell;
  }

  private async runNow(argv: readonly string[], timeoutMs: number): Promise<ChannelResult> {
    const shell = this.shell ?? this.open();
    shell.child.stdin!.write(`${quoteArgv(argv)}\n${this.end}\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = this.take();
      if (answer) return answer;
      if (this.shell !== shell) return this.failed(null, 'the SSH command channel closed');
      const left = deadline - Date.now();
      if (left <= 0) {
        this.close();
        return this.failed(null, `no answer within ${Math.round(timeoutMs / 1000)} s`, 'SIGKILL');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** One whole answer off the front of the buffer, when it has arrived. */
  private take(): ChannelResult | undefined {
    const newline = this.buffer.indexOf(10);
    if (newline < 0) return undefined;
    const header = /^@@svm (\d+) (\d+) (\d+)$/.exec(this.buffer.toString('latin1', 0, newline).trim());
    if (!header) {
      this.close(); // out of step: never guess where an answer starts
      return this.failed(null, 'the SSH command channel lost its framing');
    }
    const [rc, outBytes, errBytes] = header.slice(1).map(Number) as [number, number, number];
    const total = newline + 1 + outBytes + errBytes;
    if (this.buffer.length < total) return undefined;
    const bytes = Buffer.from(this.buffer.subarray(newline + 1, newline + 1 + outBytes));
    const stderr = this.buffer.toString('utf8', newline + 1 + outBytes, total);
    this.buffer = this.buffer.subarray(total);
    return { exitCode: rc, signal: null, stdout: bytes.toString('utf8'), stderr, bytes };
  }

  private failed(exitCode: number | null, why: string, signal: string | null = null): ChannelResult {
    return { exitCode: exitCode ?? 255, signal, stdout: '', stderr: `svmtest: ${why}`, bytes: Buffer.alloc(0) };
  }

  close(): void {
    const shell = this.shell;
    this.shell = undefined;
    shell?.child.stdin?.end();
    shell?.kill('SIGKILL');
  }
}

import { existsSync, mkdirSync, openSync, readSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { withChannelAddress, type CommandSpec, type ExitInfo, type LineHandlers } from '../target.js';

import { InputError } from '../../model/errors.js';
import { exitFromStatus } from '../machine/exit-status.js';

/** Mark n of a guest boot: marks/<n>, written whole (the agent reads them in order, n = 1, 2, …). */
export function writeMark(guestDir: string, n: number, text: string): void {
  const dir = join(guestDir, 'marks');
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `.${n}`), `<6>${text}\n`);
    renameSync(join(dir, `.${n}`), join(dir, String(n)));
  } catch {
    // the guest's directory is gone with the guest: nothing to mark
  }
}

/** Requests the agent answers with its shell's builtins (no process started): `ls -1 DIR`, `cat FILE…` of text. */
export type AgentBuiltin = 'list' | 'read';

/** One command for the guest agent: a request directory, then its growing output files. */
export class AgentRequest {
  private readonly offsets = { stdout: 0, stderr: 0, 'chan.out': 0 };
  private readonly partial = { stdout: '', stderr: '', 'chan.out': '' };

  constructor(readonly dir: string) {}

  /** `builtin`: the agent answers with shell builtins, no exec — `list`: `ls -1 DIR`; `read`: `cat FILE…` of text files. */
  static create(parent: string, id: number, commandSpec: CommandSpec, builtin?: AgentBuiltin): AgentRequest {
    const final = join(parent, String(id));
    const staging = join(parent, `.${id}`);
    mkdirSync(staging, { recursive: true });
    // The result channel listens in the guest (busybox nc on its loopback, started by the agent
    // before the command): a port of its own per request, and its hex form for /proc/net/tcp.
    const port = 20_000 + (id % 40_000);
    const spec = commandSpec.resultChannel ? { ...commandSpec, argv: withChannelAddress(commandSpec.argv, `127.0.0.1:${port}`) } : commandSpec;
    if (commandSpec.resultChannel) {
      const hex = port.toString(16).toUpperCase().padStart(4, '0');
      // With marks: the agent writes a test's start and end marks as the channel reports them.
      const marks = commandSpec.marks ? ` ${commandSpec.marks.secret} ${commandSpec.marks.suite}` : '';
      writeFileSync(join(staging, 'chan.port'), `${port} ${hex}${marks}\n`);
    }
    // One argument per line, read back by the agent with `read -r` into "$@": never a shell string.
    const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
    for (const value of [...spec.argv, ...env, spec.cwd ?? '/']) {
      if (value.includes('\n'))
        throw new InputError(`the QEMU target cannot pass an argument or environment value containing a newline: ${JSON.stringify(value.slice(0, 60))}`);
    }
    for (const name of Object.keys(spec.env ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InputError(`environment variable name "${name}": expected letters, digits and _`);
    }
    writeFileSync(join(staging, 'argv'), `${spec.argv.join('\n')}\n`);
    writeFileSync(join(staging, 'env'), env.length > 0 ? `${env.join('\n')}\n` : '');
    writeFileSync(join(staging, 'cwd'), `${spec.cwd ?? '/'}\n`);
    if (builtin) writeFileSync(join(staging, 'builtin'), `${builtin}\n`);
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

  /** Reads what the command wrote since the last call, as whole lines: its console, then its result channel. */
  drain(handlers: LineHandlers, final = false): void {
    for (const stream of ['stdout', 'stderr', 'chan.out'] as const) {
      const onLine = (which: typeof stream, line: string) => (which === 'chan.out' ? handlers.onChannel?.(line) : handlers.onLine(which, line));
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
    const text = readFileSync(file, 'utf8');
    if (!text.endsWith('\n')) return undefined; // being written
    const status = Number(text.trim());
    const exit = Number.isFinite(status) ? exitFromStatus(status) : { exitCode: 255, signal: null };
    // The command's pid in the guest (written when it started; a builtin request has none).
    const pid = Number(existsSync(join(this.dir, 'pid')) ? readFileSync(join(this.dir, 'pid'), 'utf8').trim() : '');
    return Number.isSafeInteger(pid) && pid > 0 ? { ...exit, pid } : exit;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

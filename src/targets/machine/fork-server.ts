import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import type { Duplex } from 'node:stream';
import type { CommandSpec, ExitInfo, LineHandlers, RunningCommand } from '../target.js';
import { processReaper } from '../reaper.js';
import { signalName } from './exit-status.js';
import { preloading } from './line-buffering.js';

// The node side of assets/fork-server/fork-server.c (its header describes the protocol): a
// test program started once, with the library preloaded, that forks one process per command.

const START_TIMEOUT_MS = 60_000;
/** What a command sent to a server becomes: its output lines, its pid, its end. */
interface Command {
  readonly handlers: LineHandlers;
  readonly stdout: PassThrough;
  readonly stderr: PassThrough;
  readonly closed: Promise<unknown>;
  pid?: number;
  pendingKill?: NodeJS.Signals;
  end(exit: ExitInfo): void;
}

/** Frames (u8 kind, u32 length, payload) out of a byte stream. */
class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (kind: string, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 5) {
      const length = this.pending.readUInt32LE(1);
      if (this.pending.length < 5 + length) return;
      const kind = String.fromCharCode(this.pending[0]!);
      const payload = this.pending.subarray(5, 5 + length);
      this.pending = this.pending.subarray(5 + length);
      this.onFrame(kind, payload);
    }
  }
}

function encodeCommand(argv: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32LE(argv.length);
  parts.push(count);
  for (const arg of argv) {
    const bytes = Buffer.from(arg, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}

/**
 * One warm test program that runs commands one at a time, each in a process forked from it.
 * Commands must share its program, environment and working directory; their arguments may differ.
 */
export class ForkServer {
  private current: Command | undefined;
  private ended: string | undefined;
  private reserved = false;

  // The server process needs no handle here: it ends when its control socket closes.
  private constructor(private readonly control: Duplex) {}

  /** Started, or why the program cannot serve (it is then gone). `idleArgs` run no test should the library not load. */
  static async start(spec: CommandSpec, idleArgs: readonly string[], library: string): Promise<ForkServer | string> {
    const file = spec.argv[0];
    const env = { ...process.env, ...spec.env };
    const child = spawn(file ?? '', idleArgs, {
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
      env: { ...env, LD_PRELOAD: preloading(library, env.LD_PRELOAD), SVMTEST_FORK_SERVER_FD: '3', SVMTEST_FORK_SERVER_PROGRAM: file ?? '' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const group = child.pid ? -child.pid : undefined;
    processReaper.track(group);
    let said = '';
    const keep = (chunk: Buffer) => {
      said = (said + chunk.toString('utf8')).slice(-4096);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const control = child.stdio[3] as Duplex;
    let server: ForkServer | undefined;
    const answer = await new Promise<ForkServer | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(`it did not start within ${START_TIMEOUT_MS / 1000} s`);
      }, START_TIMEOUT_MS);
      const reader = new FrameReader((kind, payload) => {
        if (server) return server.onFrame(kind, payload);
        clearTimeout(timer);
        if (kind === 'R') {
          server = new ForkServer(control);
          resolve(server);
        } else resolve(kind === 'U' ? payload.toString('utf8') : `it answered '${kind}'`);
      });
      control.on('data', (chunk: Buffer) => reader.push(chunk));
      control.on('error', () => undefined);
      child.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve(`${file}: ${error.code ?? error.message}`);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        processReaper.untrack(group);
        const how = `it ended (${signal ?? `exit ${code}`})`;
        const last = said.trim().split('\n').slice(-1)[0];
        resolve(`${how} before serving${last ? `: ${last}` : ''}`);
        server?.lost(how);
      });
    });
    if (typeof answer === 'string') child.kill('SIGKILL');
    return answer;
  }

  get busy(): boolean {
    return this.reserved || this.current !== undefined;
  }

  /** Taken for a command that is about to be run: no other command is given this server meanwhile. */
  reserve(): this {
    this.reserved = true;
    return this;
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  /** Runs one command (argv[0] is the server's program) in a process forked from the server. */
  run(argv: readonly string[], handlers: LineHandlers): RunningCommand {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const closed: Array<Promise<void>> = [];
    for (const [stream, input] of [
      ['stdout', stdout],
      ['stderr', stderr],
    ] as const) {
      const reader = createInterface({ input, crlfDelay: Infinity });
      reader.on('line', (line) => handlers.onLine(stream, line));
      closed.push(new Promise((resolve) => reader.once('close', () => resolve())));
    }
    let end!: (exit: ExitInfo) => void;
    const ended = new Promise<ExitInfo>((resolve) => (end = resolve));
    const command: Command = { handlers, stdout, stderr, closed: Promise.all(closed), end };
    this.current = command;
    this.reserved = false;
    if (this.ended) this.finish({ exitCode: 127, signal: null }, `the fork server is gone: ${this.ended}`);
    else this.control.write(encodeCommand(argv));
    const done = ended.then(async (exit) => {
      await command.closed;
      return exit;
    });
    return {
      done,
      kill: (signal) => {
        if (command.pid === undefined) command.pendingKill = signal;
        else killGroup(command.pid, signal);
      },
    };
  }

  /** Ends the server: it exits when its control socket closes. */
  close(): void {
    this.control.end();
  }

  private onFrame(kind: string, payload: Buffer): void {
    const command = this.current;
    if (!command) return;
    if (kind === 'P') {
      command.pid = payload.readUInt32LE(0);
      processReaper.track(-command.pid);
      if (command.pendingKill) killGroup(command.pid, command.pendingKill);
    } else if (kind === 'O') command.stdout.write(payload);
    else if (kind === 'E') command.stderr.write(payload);
    else if (kind === 'X') {
      const code = payload.readInt32LE(0);
      const signal = payload.readInt32LE(4);
      this.finish({ exitCode: code >= 0 ? code : null, signal: signal > 0 ? signalName(signal) : null });
    }
  }

  private finish(exit: ExitInfo, why?: string): void {
    const command = this.current;
    if (!command) return;
    this.current = undefined;
    if (why) command.stderr.write(`${why}\n`);
    command.stdout.end();
    command.stderr.end();
    if (command.pid !== undefined) processReaper.untrack(-command.pid);
    command.end(command.pid !== undefined ? { ...exit, pid: command.pid } : exit);
  }

  private lost(why: string): void {
    this.ended = why;
    // A command in flight loses its server: its process is killed with it, and it ends as killed.
    if (this.current?.pid !== undefined) killGroup(this.current.pid, 'SIGKILL');
    this.finish({ exitCode: null, signal: 'SIGKILL' }, `the fork server ended during this command: ${why}`);
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

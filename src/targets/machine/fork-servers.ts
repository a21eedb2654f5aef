import { basename } from 'node:path';
import type { CommandSpec, LineHandlers, RunningCommand } from '../target.js';
import { ForkServer } from './fork-server.js';
import { forkServerLibrary } from './fork-server-library.js';

type Exec = (spec: CommandSpec, handlers: LineHandlers) => RunningCommand;

/**
 * The fork servers of one target: one per program, environment and working directory (a second
 * while the first is busy, for parallel jobs), each started at the first command that can use it.
 * A program that cannot serve is asked once; its commands then run with their own exec.
 */
export class ForkServers {
  private readonly servers = new Map<string, ForkServer[]>();
  private readonly refused = new Map<string, string>();
  private readonly forked = new Map<string, number>();
  private unavailable: string | undefined;
  private closed = false;

  constructor(
    private readonly cacheDir: string,
    private readonly exec: Exec,
  ) {}

  spawn(spec: CommandSpec, handlers: LineHandlers): RunningCommand {
    let inner: RunningCommand | undefined;
    let killed: NodeJS.Signals | undefined;
    const done = (async () => {
      const server = await this.idleServer(spec);
      inner = server ? server.run(spec.argv, handlers) : this.exec(spec, handlers);
      if (server) this.forked.set(programName(spec), (this.forked.get(programName(spec)) ?? 0) + 1);
      if (killed) inner.kill(killed);
      return inner.done;
    })();
    return {
      done,
      kill: (signal) => {
        killed = signal;
        inner?.kill(signal);
      },
    };
  }

  /** What a reader of the run must know: which programs' tests were forked, and which could not be, and why. */
  notes(): string[] {
    const notes = [...this.forked].map(
      ([program, count]) =>
        `${program}: ${count} test process(es) forked from a warm start of the program (fork server); --no-fork-server starts each with its own exec`,
    );
    for (const [key, why] of this.refused) notes.push(`${programOfKey(key)}: no fork server (${why}); each test process was started with its own exec`);
    if (this.unavailable) notes.push(`no fork server on this machine (${this.unavailable}); each test process was started with its own exec`);
    return notes;
  }

  close(): void {
    this.closed = true;
    for (const list of this.servers.values()) for (const server of list) server.close();
    this.servers.clear();
  }

  private async idleServer(spec: CommandSpec): Promise<ForkServer | undefined> {
    if (this.unavailable || !spec.forkable) return undefined;
    const key = JSON.stringify([spec.argv[0], spec.cwd ?? '', spec.env ?? {}, spec.forkable.idleArgs]);
    if (this.refused.has(key)) return undefined;
    const list = (this.servers.get(key) ?? []).filter((server) => server.alive);
    this.servers.set(key, list);
    const idle = list.find((server) => !server.busy);
    if (idle) return idle.reserve();
    const library = await forkServerLibrary(this.cacheDir);
    if ('unavailable' in library) {
      this.unavailable = library.unavailable;
      return undefined;
    }
    const started = await ForkServer.start(spec, spec.forkable.idleArgs, library.library);
    if (typeof started === 'string') {
      this.refused.set(key, started);
      return undefined;
    }
    if (this.closed) {
      started.close();
      return undefined;
    }
    this.servers.get(key)?.push(started);
    return started.reserve();
  }
}

function programName(spec: CommandSpec): string {
  return basename(spec.argv[0] ?? '');
}

function programOfKey(key: string): string {
  return basename((JSON.parse(key) as string[])[0] ?? '');
}

import type { CommandSpec, LineHandlers, RunningCommand } from '../target.js';
import { ForkServer } from './fork-server.js';
import { forkServerLibrary } from './fork-server-library.js';
import { ForkNotes } from './fork-notes.js';
import { laterCommand } from './later-command.js';

type Exec = (spec: CommandSpec, handlers: LineHandlers) => RunningCommand;

/**
 * The fork servers of one target: one per program, environment and working directory (a second
 * while the first is busy, for parallel jobs), each started at the first command that can use it.
 * A program that cannot serve is asked once; its commands then run with their own exec.
 */
export class ForkServers {
  private readonly servers = new Map<string, ForkServer[]>();
  private readonly refused = new Set<string>();
  private readonly said = new ForkNotes();
  private closed = false;

  constructor(
    private readonly cacheDir: string,
    private readonly exec: Exec,
  ) {}

  spawn(spec: CommandSpec, handlers: LineHandlers): RunningCommand {
    return laterCommand(async (begin) => {
      const server = await this.idleServer(spec);
      if (server) this.said.forkedFrom(spec.argv[0] ?? '');
      return begin(server ? server.run(spec.argv, handlers) : this.exec(spec, handlers)).done;
    });
  }

  /** What a reader of the run must know: which programs' tests were forked, and which could not be, and why. */
  notes(): string[] {
    return this.said.notes();
  }

  close(): void {
    this.closed = true;
    for (const list of this.servers.values()) for (const server of list) server.close();
    this.servers.clear();
  }

  private async idleServer(spec: CommandSpec): Promise<ForkServer | undefined> {
    if (!spec.forkable) return undefined;
    // Which commands may share a server: the same program, working directory, environment and idle arguments.
    const key = JSON.stringify([spec.argv[0], spec.cwd ?? '', spec.env ?? {}, spec.forkable.idleArgs]);
    if (this.refused.has(key)) return undefined;
    const list = (this.servers.get(key) ?? []).filter((server) => server.alive);
    this.servers.set(key, list);
    const idle = list.find((server) => !server.busy);
    if (idle) return idle.reserve();
    // Compiled once (the promise is kept): a machine without a compiler answers the same each time.
    const library = await forkServerLibrary(this.cacheDir);
    if ('unavailable' in library) {
      this.said.unavailable(library.unavailable);
      return undefined;
    }
    const started = await ForkServer.start(spec, spec.forkable.idleArgs, library.library);
    if (typeof started === 'string') {
      this.refused.add(key);
      this.said.refusedBy(spec.argv[0] ?? '', started);
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

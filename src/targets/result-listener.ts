import { createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { type CommandSpec, type LineHandlers, type RunningCommand, withChannelAddress } from './target.js';
import { laterCommand } from './machine/later-command.js';

// After the command ended, its side of the socket is closed by its kernel: what it sent is
// already on its way. This bounds the wait for a connection that another process still holds.
const DRAIN_MS = 2_000;

/**
 * A TCP listener on this machine's loopback for one command's result channel: every line from
 * every connection goes to onLine, in order per connection.
 */
export class ResultListener {
  private readonly sockets = new Set<Socket>();
  private readonly closed: Array<Promise<void>> = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async open(onLine: (line: string) => void): Promise<ResultListener> {
    let listener: ResultListener | undefined;
    const pending: Socket[] = [];
    const server = createServer((socket) => (listener ? listener.accept(socket, onLine) : pending.push(socket)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    listener = new ResultListener(server, typeof address === 'object' && address ? address.port : 0);
    for (const socket of pending) listener.accept(socket, onLine);
    return listener;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private accept(socket: Socket, onLine: (line: string) => void): void {
    this.sockets.add(socket);
    const reader = createInterface({ input: socket, crlfDelay: Infinity });
    reader.on('line', onLine);
    socket.on('error', () => undefined); // a reset is the sender's death: the process end says what happened
    this.closed.push(
      new Promise((resolve) =>
        reader.once('close', () => {
          this.sockets.delete(socket);
          resolve();
        }),
      ),
    );
  }

  /** Waits until every connection has delivered its last line (bounded), then stops listening. */
  async close(drainMs = DRAIN_MS): Promise<void> {
    // A connection the command made may not be accepted yet when its end is known (a forked
    // process's end comes on another socket, in the same turn of the event loop): one turn more
    // passes through the loop's poll, which accepts it.
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.closed), new Promise((resolve) => (timer = setTimeout(resolve, drainMs)))]);
    if (timer) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Where a command reaches the listener from, and what to undo afterwards; or why it cannot. */
export type ChannelRoute = { readonly address: string; readonly close?: () => Promise<void> } | { readonly refused: string };

/**
 * Runs a command with a result channel: the listener (and the route to it from where the command
 * runs) first, the command only once it listens — gtest aborts when it cannot connect.
 */
export function spawnWithChannel(
  spec: CommandSpec,
  handlers: LineHandlers,
  route: (listener: ResultListener) => Promise<ChannelRoute>,
  spawnNow: (spec: CommandSpec, handlers: LineHandlers) => RunningCommand,
): RunningCommand {
  return laterCommand(async (begin, killedBefore) => {
    const listener = await ResultListener.open((line) => handlers.onChannel?.(line));
    const to = await route(listener);
    const killed = killedBefore();
    if ('refused' in to || killed) {
      await listener.close(0);
      if ('refused' in to) handlers.onLine('stderr', `svmtest: ${to.refused}`);
      else await to.close?.();
      return killed ? { exitCode: null, signal: killed } : { exitCode: 127, signal: null };
    }
    const exit = await begin(spawnNow({ ...spec, argv: withChannelAddress(spec.argv, to.address) }, handlers)).done;
    await listener.close();
    await to.close?.().catch(() => undefined);
    return exit;
  });
}

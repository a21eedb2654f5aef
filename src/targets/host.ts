import { closeSync, openSync } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import type { KernelRecord } from '../parsers/kernel-record.js';
import { followKmsg, KmsgWriter, kmsgWritesPerOpen } from './host-kmsg.js';
import {
  KernelLogUnavailable,
  type CommandSpec,
  type ExecResult,
  type ExitInfo,
  type KernelLogWatch,
  type LineHandlers,
  type RunningCommand,
  type Target,
  type TargetIdentity,
} from './target.js';
import { spawnWithChannel } from './result-listener.js';
import type { KernelMarkWriter } from './kernel-marks.js';
import { monotonicSeconds } from './machine/clock.js';
import { libstdbuf, lineBufferedEnv } from './machine/line-buffering.js';
import { startGroup } from './machine/process-group.js';
import { ForkServers } from './machine/fork-servers.js';

/** The machine svmtest runs on. */
export class HostTarget implements Target {
  readonly kind = 'host' as const;
  readonly description = `host ${hostname()}`;

  private readonly forkServers: ForkServers | undefined;

  /** `forkServer.cacheDir`: where the fork server's library is compiled; unset, every command is its own exec. */
  constructor(
    private readonly sysRoot = '',
    options: { forkServer?: { cacheDir: string } } = {},
  ) {
    this.forkServers = options.forkServer ? new ForkServers(options.forkServer.cacheDir, (s, h) => this.execNow(s, h)) : undefined;
  }

  spawn(spec: CommandSpec, handlers: LineHandlers): RunningCommand {
    if (!spec.resultChannel) return this.spawnNow(spec, handlers);
    return spawnWithChannel(
      spec,
      handlers,
      async (listener) => ({ address: listener.address }),
      (s, h) => this.spawnNow(s, h),
    );
  }

  private spawnNow(spec: CommandSpec, handlers: LineHandlers): RunningCommand {
    return spec.forkable && this.forkServers ? this.forkServers.spawn(spec, handlers) : this.execNow(spec, handlers);
  }

  private execNow(spec: CommandSpec, handlers: LineHandlers): RunningCommand {
    const started = startGroup(spec);
    const closed: Array<Promise<void>> = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const reader = createInterface({ input: started.child[stream]!, crlfDelay: Infinity });
      reader.on('line', (line) => handlers.onLine(stream, line));
      closed.push(new Promise((resolve) => reader.once('close', () => resolve())));
    }
    const done = (async (): Promise<ExitInfo> => {
      const exit = await started.done;
      if (exit.startError) {
        handlers.onLine('stderr', exit.startError);
        return { exitCode: 127, signal: null };
      }
      await Promise.all(closed);
      return { exitCode: exit.exitCode, signal: exit.signal, ...(started.child.pid ? { pid: started.child.pid } : {}) };
    })();
    return { done, kill: started.kill };
  }

  async exec(spec: CommandSpec, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const started = startGroup(spec);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    started.child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    started.child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = options.timeoutMs ? setTimeout(() => started.kill('SIGKILL'), options.timeoutMs) : undefined;
    const exit = await started.done;
    if (timer) clearTimeout(timer);
    return {
      exitCode: exit.exitCode,
      signal: exit.signal,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: exit.startError ?? Buffer.concat(err).toString('utf8'),
    };
  }

  /** The host path a machine path maps to (a copied /sys with --sysfs-root). */
  path(path: string): string {
    // --sysfs-root and friends: a copied /sys tree can stand in for the real one.
    return this.sysRoot && (path.startsWith('/sys/') || path === '/sys') ? `${this.sysRoot}${path.slice(4)}` : path;
  }

  async readFile(path: string): Promise<string | undefined> {
    try {
      return await readFile(this.path(path), 'utf8');
    } catch {
      return undefined;
    }
  }

  async readFileBytes(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(path));
    } catch {
      return undefined;
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await access(this.path(path));
      return true;
    } catch {
      return false;
    }
  }

  async readDir(path: string): Promise<string[] | undefined> {
    try {
      return (await readdir(this.path(path))).sort();
    } catch {
      return undefined;
    }
  }

  lineBufferedEnv(env: Readonly<Record<string, string>>): Record<string, string> | undefined {
    const library = libstdbuf();
    return library ? lineBufferedEnv(library, env, process.env.LD_PRELOAD) : undefined;
  }

  kernelTime(): number {
    return monotonicSeconds();
  }

  async watchKernelLog(onRecord: (record: KernelRecord) => void): Promise<KernelLogWatch> {
    try {
      return followKmsg(onRecord);
    } catch (error) {
      throw new KernelLogUnavailable(`cannot read /dev/kmsg (${(error as NodeJS.ErrnoException).code ?? 'no permission'})`);
    }
  }

  async openKernelMarks(): Promise<KernelMarkWriter> {
    try {
      closeSync(openSync('/dev/kmsg', 'w'));
    } catch (error) {
      throw new KernelLogUnavailable(`cannot write /dev/kmsg (${(error as NodeJS.ErrnoException).code ?? 'no permission'})`);
    }
    const writer = new KmsgWriter('/dev/kmsg', kmsgWritesPerOpen(await this.readFile('/proc/sys/kernel/printk_devkmsg')));
    return {
      // One write is one record, logged before the call returns: in order with the kernel's own.
      write: (text) => {
        try {
          writer.write(text);
        } catch {
          // a mark that cannot be written leaves its records outside any test, never on the wrong one
        }
      },
      close: async () => writer.close(),
    };
  }

  async identity(): Promise<TargetIdentity> {
    const release = (await this.readFile('/proc/sys/kernel/osrelease'))?.trim() ?? 'unknown';
    const version = (await this.readFile('/proc/sys/kernel/version'))?.trim() ?? 'unknown';
    return { kernelRelease: release, kernelVersion: version, hostname: hostname() };
  }

  notes(): string[] {
    return this.forkServers?.notes() ?? [];
  }

  async close(): Promise<void> {
    this.forkServers?.close();
  }
}

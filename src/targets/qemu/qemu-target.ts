import type { KernelRecord } from '../../parsers/kernel-record.js';
import { entriesOf, execBySpawn, existsBy, readTextBy } from '../machine/exec-by-spawn.js';
import type { QemuTargetOptions } from './qemu-options.js';
import type { CommandSpec, ExecResult, ExitInfo, KernelLogWatch, LineHandlers, RunningCommand, Target, TargetIdentity } from '../target.js';
import { AgentChannel } from './agent-channel.js';
import type { AgentBuiltin, AgentRequest } from './agent-request.js';
import type { Guest } from './guest.js';
import { MachineConsole } from '../machine/console-log.js';
import { GuestSupervisor } from './guest-supervisor.js';

export type { QemuTargetOptions } from './qemu-options.js';
import { monotonicSeconds } from '../machine/clock.js';
import type { KernelMarkWriter } from '../kernel-marks.js';
import { writeMark } from './agent-request.js';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { libstdbuf, lineBufferedEnv } from '../machine/line-buffering.js';

function readTextIfAny(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

const FILE_TIMEOUT_MS = 60_000;

/** Where the guest has trees of its own (init.sh): its kernel's, fresh tmpfs, the modules given. */
const GUEST_OWN = ['/proc', '/sys', '/dev', '/run', '/tmp', '/var/tmp', '/lib/modules', '/usr/lib/modules'];
const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/**
 * The guest's root is this machine's, read-only under an overlay, and the run directory is shared
 * at its own path: a file there (a suite binary, ROCm's version, /boot) is read here, without a
 * round trip to an emulated guest. Anything under a tree the guest has of its own is asked of the
 * guest, and so is a path that leads there through a symlink.
 */
export function sharedWithHost(path: string, guestOwn: readonly string[] = GUEST_OWN): boolean {
  if (!isAbsolute(path) || path.split('/').includes('..') || guestOwn.some((dir) => under(path, dir))) return false;
  // A path missing here is missing there too: where it would be is what counts (its nearest existing directory).
  for (let at = path; ; at = dirname(at)) {
    try {
      const real = realpathSync(at);
      return !guestOwn.some((dir) => under(real, dir));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || at === '/') return false; // not readable here: the guest decides
    }
  }
}

/** A regular file read here; undefined when there is none. Anything else (a FIFO would block here) is for the guest to read. */
function readHostFile(path: string): Buffer | undefined | 'not a file' {
  try {
    return statSync(path).isFile() ? readFileSync(path) : 'not a file';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : 'not a file';
  }
}

/**
 * A kernel under test booted in QEMU, reached through a shell agent in the guest. The guest
 * may die at any time (that is what is being tested): commands then end as killed by the
 * guest's death, and the next command boots it again, up to maxReboots times.
 */
export class QemuTarget implements Target {
  readonly kind = 'qemu' as const;
  readonly observationLag = 0.05;
  readonly marksFromChannel = true;
  readonly description: string;
  private readonly console: MachineConsole;
  private readonly guests: GuestSupervisor;
  private readonly channel = new AgentChannel();
  /**
   * Per boot, the marks written so far: the agent reads marks/1, 2, … in order, across every run
   * on this guest (ci --repeat runs its rounds on one), so numbering never starts over.
   */
  private readonly marksWritten = new WeakMap<Guest, number>();
  private readonly bootNote: string;

  constructor(options: QemuTargetOptions) {
    this.description = `QEMU guest (${options.accel.toUpperCase()}, kernel ${options.release ?? options.kernel})`;
    this.bootNote = options.bootImage.why;
    this.console = new MachineConsole(options.consoleLog);
    this.guests = new GuestSupervisor(options, this.console, () => this.kernelTime());
  }

  get bootCount(): number {
    return this.guests.bootCount;
  }

  /** How the kernel was booted: the run's record says whether the guest unpacked it itself. */
  notes(): string[] {
    return [this.bootNote];
  }

  fatal(): string | undefined {
    return this.guests.fatal;
  }

  /** Boots now (the first boot of a run), so a kernel that cannot boot fails before any test. */
  async start(): Promise<void> {
    await this.guests.current();
  }

  spawn(spec: CommandSpec, handlers: LineHandlers): RunningCommand {
    let request: AgentRequest | undefined;
    let pendingKill: NodeJS.Signals | undefined;
    const done = (async (): Promise<ExitInfo> => {
      let guest: Guest;
      try {
        guest = await this.guests.current();
      } catch (error) {
        handlers.onLine('stderr', (error as Error).message);
        return { exitCode: 127, signal: null };
      }
      const onRequest = (r: AgentRequest) => {
        request = r;
        if (pendingKill) r.kill(pendingKill);
      };
      return (await this.channel.call(guest, spec, { handlers, onRequest })).exit;
    })();
    return {
      done,
      kill: (signal) => {
        if (request) request.kill(signal);
        else pendingKill = signal;
      },
    };
  }

  exec(spec: CommandSpec, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    return execBySpawn((s, h) => this.spawn(s, h), spec, options);
  }

  readFile(path: string): Promise<string | undefined> {
    return readTextBy((p) => this.readFileBytes(p), path);
  }

  async readFileBytes(path: string): Promise<Buffer | undefined> {
    if (sharedWithHost(path)) {
      const here = readHostFile(path);
      if (here !== 'not a file') return here;
    }
    const guest = await this.guests.current();
    if (path === '/proc/config.gz') {
      // The guest's init copied its kernel's config into its boot directory (or said it has none).
      const copied = join(guest.dir, 'config.gz');
      if (existsSync(copied)) return readFileSync(copied);
      if (existsSync(join(guest.dir, 'no-config.gz'))) return undefined;
    }
    const { exit, stdout } = await this.channel.call(guest, { argv: ['cat', path] }, { bytes: true, timeoutMs: FILE_TIMEOUT_MS });
    return exit.exitCode === 0 ? (stdout ?? Buffer.alloc(0)) : undefined;
  }

  async exists(path: string): Promise<boolean> {
    if (sharedWithHost(path)) return existsSync(path);
    return existsBy((spec, options) => this.exec(spec, options), path);
  }

  /** Listed by the agent's shell builtins: a run's start asks for the GPU topology before it can list its tests. */
  async readDir(path: string): Promise<string[] | undefined> {
    const { exit, lines } = await this.askBuiltin(['ls', '-1', path], 'list');
    return entriesOf({ exitCode: exit.exitCode, signal: exit.signal, stdout: lines.join('\n'), stderr: '' });
  }

  /** A request the agent answers with its shell's builtins (no process started): its exit and stdout lines. */
  private async askBuiltin(argv: string[], builtin: AgentBuiltin): Promise<{ exit: ExitInfo; lines: string[] }> {
    const guest = await this.guests.current();
    const lines: string[] = [];
    const handlers = { onLine: (stream: 'stdout' | 'stderr', line: string) => void (stream === 'stdout' && lines.push(line)) };
    const { exit } = await this.channel.call(guest, { argv }, { handlers, timeoutMs: FILE_TIMEOUT_MS, builtin });
    return { exit, lines };
  }

  kernelTime(): number {
    return monotonicSeconds() + this.guests.offset;
  }

  async watchKernelLog(onRecord: (record: KernelRecord) => void): Promise<KernelLogWatch> {
    // The serial console carries every kernel record (loglevel=7), even the panic that kills the agent.
    const unsubscribe = this.console.subscribe(onRecord);
    return { stop: async () => void unsubscribe() };
  }

  /**
   * Marks svmtest writes (suites without a result channel) go through files the agent turns into
   * kernel records on its next round (within 50 ms while tests come and go, 250 ms when idle);
   * marks of a result channel the agent writes itself, the moment the test reports (marksFromChannel).
   */
  async openKernelMarks(): Promise<KernelMarkWriter> {
    return {
      write: (text) => {
        const guest = this.guests.live;
        if (!guest) return; // a dead guest logs nothing: its records stay with the test that ran
        const n = (this.marksWritten.get(guest) ?? 0) + 1;
        this.marksWritten.set(guest, n);
        writeMark(guest.dir, n, text);
      },
      close: async () => undefined,
    };
  }

  /** The guest's root is this machine's (9p, under an overlay): coreutils' library is where it is here. */
  lineBufferedEnv(env: Readonly<Record<string, string>>): Record<string, string> | undefined {
    const library = libstdbuf();
    return library ? lineBufferedEnv(library, env) : undefined;
  }

  async identity(): Promise<TargetIdentity> {
    // What `uname -n -r -v` prints, read by the agent's builtins in one round trip: no exec under emulation.
    const { lines } = await this.askBuiltin(['cat', '/proc/sys/kernel/hostname', '/proc/sys/kernel/osrelease', '/proc/sys/kernel/version'], 'read');
    const [hostname, release, version] = lines.map((line) => line.trim());
    return { kernelRelease: release || 'unknown', kernelVersion: version || 'unknown', hostname: hostname || 'guest' };
  }

  async close(): Promise<void> {
    await this.guests.close();
  }

  /**
   * What failed while the guest was set up (the agent's `modprobe` of each configured module):
   * a module that did not load changes what every test finds, so the run must say so.
   */
  setupProblems(): string[] {
    const guest = this.guests.live;
    const log = guest ? readTextIfAny(join(guest.dir, 'modprobe.log')) : undefined;
    if (!log) return [];
    const lines = log.split('\n').filter((l) => l.trim() !== '');
    return lines
      .filter((l) => /^modprobe \S+ failed$/.test(l))
      .map((failed) => {
        const module = failed.split(' ')[1]!;
        const why = lines.filter((l) => l !== failed && l.includes(module)).slice(-2);
        return `the guest could not load ${module} (${why.length > 0 ? why.join(' | ') : 'modprobe failed'}); tests ran without it`;
      });
  }

  /** The console lines before the guest died, for messages about boots and crashes. */
  tail(lines = 40): string {
    return this.console.tail(lines).join('\n');
  }
}

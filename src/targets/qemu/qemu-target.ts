import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../model/errors.js';
import type { KernelRecord } from '../../parsers/kernel-record.js';
import type { CommandSpec, ExecResult, ExitInfo, KernelLogWatch, LineHandlers, RunningCommand, Target, TargetIdentity } from '../target.js';
import { AgentChannel } from './agent-channel.js';
import type { AgentRequest } from './agent-request.js';
import { Guest, GuestBootError } from './guest.js';
import { GuestConsole } from './guest-console.js';
import { monotonicSeconds, watchHeartbeat, type HeartbeatWatch } from './heartbeat-watchdog.js';
import { AGENT_SCRIPT, buildInitramfs } from './initramfs.js';
import { qemuArgv } from './qemu-command.js';

export interface QemuTargetOptions {
  readonly kernel: string;
  /** A directory holding lib/modules/<release> for this kernel. */
  readonly modulesDir?: string;
  readonly release?: string;
  readonly runDir: string;
  /** Where in the run directory the console log and the agent's files go. */
  readonly consoleLog: string;
  readonly agentDir: string;
  readonly cacheDir: string;
  readonly accel: 'kvm' | 'tcg';
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly cmdline: readonly string[];
  readonly modprobe: readonly string[];
  readonly vfio: readonly string[];
  readonly network: boolean;
  /** Host paths the run needs at the same path in the guest (the guest mounts fresh tmpfs on some). */
  readonly expose: readonly string[];
  readonly bootTimeoutS: number;
  readonly watchdogS: number;
  readonly maxReboots: number;
  readonly note: (message: string) => void;
}

const FILE_TIMEOUT_MS = 60_000;

/**
 * A kernel under test booted in QEMU, reached through a shell agent in the guest. The guest
 * may die at any time (that is what is being tested): commands then end as killed by the
 * guest's death, and the next command boots it again, up to maxReboots times.
 */
export class QemuTarget implements Target {
  readonly kind = 'qemu' as const;
  readonly observationLag = 0.05;
  readonly description: string;
  private guest: Guest | undefined;
  private watchdog: HeartbeatWatch | undefined;
  private booting: Promise<Guest> | undefined;
  private boots = 0;
  private fatalReason: string | undefined;
  private closed = false;
  private readonly console: GuestConsole;
  private readonly channel = new AgentChannel();

  constructor(private readonly options: QemuTargetOptions) {
    this.description = `QEMU guest (${options.accel.toUpperCase()}, kernel ${options.release ?? options.kernel})`;
    this.console = new GuestConsole(options.consoleLog);
  }

  get bootCount(): number {
    return this.boots;
  }

  fatal(): string | undefined {
    return this.fatalReason;
  }

  /** Boots now (the first boot of a run), so a kernel that cannot boot fails before any test. */
  async start(): Promise<void> {
    await this.ensureGuest();
  }

  spawn(spec: CommandSpec, handlers: LineHandlers): RunningCommand {
    let request: AgentRequest | undefined;
    let pendingKill: NodeJS.Signals | undefined;
    const done = (async (): Promise<ExitInfo> => {
      let guest: Guest;
      try {
        guest = await this.ensureGuest();
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

  async exec(spec: CommandSpec, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const out: string[] = [];
    const err: string[] = [];
    const running = this.spawn(spec, { onLine: (stream, line) => (stream === 'stdout' ? out : err).push(line) });
    const timer = options.timeoutMs ? setTimeout(() => running.kill('SIGKILL'), options.timeoutMs) : undefined;
    const exit = await running.done;
    if (timer) clearTimeout(timer);
    return { ...exit, stdout: out.length > 0 ? `${out.join('\n')}\n` : '', stderr: err.join('\n') };
  }

  async readFile(path: string): Promise<string | undefined> {
    return (await this.readFileBytes(path))?.toString('utf8');
  }

  async readFileBytes(path: string): Promise<Buffer | undefined> {
    const guest = await this.ensureGuest();
    const { exit, stdout } = await this.channel.call(guest, { argv: ['cat', path] }, { bytes: true, timeoutMs: FILE_TIMEOUT_MS });
    return exit.exitCode === 0 ? (stdout ?? Buffer.alloc(0)) : undefined;
  }

  async readDir(path: string): Promise<string[] | undefined> {
    const result = await this.exec({ argv: ['ls', '-1', path] }, { timeoutMs: FILE_TIMEOUT_MS });
    return result.exitCode === 0 ? result.stdout.split('\n').filter(Boolean).sort() : undefined;
  }

  kernelTime(): number {
    return monotonicSeconds() + (this.guest?.offset ?? 0);
  }

  async watchKernelLog(onRecord: (record: KernelRecord) => void): Promise<KernelLogWatch> {
    // The serial console carries every kernel record (loglevel=7), even the panic that kills the agent.
    const unsubscribe = this.console.subscribe(onRecord);
    return { stop: async () => void unsubscribe() };
  }

  async identity(): Promise<TargetIdentity> {
    // One command, not three: every command is a round trip to an emulated guest.
    const result = await this.exec({ argv: ['uname', '-n', '-r', '-v'] }, { timeoutMs: FILE_TIMEOUT_MS });
    const [hostname, release, ...version] = result.stdout.trim().split(' ');
    return { kernelRelease: release ?? 'unknown', kernelVersion: version.join(' ') || 'unknown', hostname: hostname ?? 'guest' };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchdog?.stop();
    if (this.guest?.alive) await this.guest.stop('shut down by svmtest');
  }

  /** The console lines before the guest died, for messages about boots and crashes. */
  tail(lines = 40): string {
    return this.console.tail(lines).join('\n');
  }

  private async ensureGuest(): Promise<Guest> {
    if (this.guest?.alive) return this.guest;
    if (this.fatalReason) throw new InfraError(this.fatalReason);
    if (this.closed) throw new InfraError('the QEMU target was closed');
    this.booting ??= this.bootGuest().finally(() => (this.booting = undefined));
    return this.booting;
  }

  private async bootGuest(): Promise<Guest> {
    const { options } = this;
    if (this.boots > options.maxReboots) {
      this.fatalReason = `the guest died ${this.boots} times; giving up after --max-reboots ${options.maxReboots}`;
      throw new InfraError(this.fatalReason);
    }
    const boot = ++this.boots;
    if (boot > 1) options.note(`booting the guest again (reboot ${boot - 1} of at most ${options.maxReboots})`);
    const dir = join(options.agentDir, `boot-${boot}`);
    mkdirSync(join(dir, 'req'), { recursive: true });
    copyFileSync(AGENT_SCRIPT, join(options.agentDir, 'agent.sh'));
    writeFileSync(join(dir, 'modprobe'), options.modprobe.join('\n'));
    // One path per line; a path with a newline cannot be named this way and stays hidden.
    writeFileSync(
      join(dir, 'expose'),
      options.expose
        .filter((p) => !p.includes('\n'))
        .map((p) => `${p}\n`)
        .join(''),
    );
    const initramfs = await buildInitramfs({
      cacheDir: options.cacheDir,
      ...(options.modulesDir ? { modulesDir: options.modulesDir } : {}),
      ...(options.release ? { release: options.release } : {}),
    });
    const modulesTree = options.modulesDir && options.release ? join(options.modulesDir, 'lib', 'modules') : undefined;
    const argv = qemuArgv({ ...options, initramfs, ...(modulesTree ? { modulesTree } : {}), boot });
    this.console.mark(`boot ${boot}: qemu-system-x86_64 ${argv.join(' ')}`);
    let guest: Guest;
    try {
      guest = await Guest.boot({ argv, dir, console: this.console, bootTimeoutS: options.bootTimeoutS });
    } catch (error) {
      if (!(error instanceof GuestBootError)) throw error;
      this.fatalReason = `the guest did not boot: ${error.message}\n--- console (last lines) ---\n${this.tail(25)}`;
      throw new InfraError(this.fatalReason);
    }
    this.watchdog?.stop();
    this.watchdog = watchHeartbeat(
      join(dir, 'heartbeat'),
      options.watchdogS,
      (offset) => (guest.offset = offset),
      () => this.hang(guest),
    );
    void guest.exited.then(() => this.watchdog?.stop());
    this.guest = guest;
    return guest;
  }

  private hang(guest: Guest): void {
    if (!guest.alive) return;
    const seconds = this.options.watchdogS;
    this.options.note(`guest watchdog: no progress for ${seconds} s; killing QEMU`);
    // What the console showed last is the only record of a hang: hand it on as a kernel event.
    const text = `svmtest: guest hang: no progress from the guest agent for ${seconds} s`;
    for (const line of [text, ...this.console.tail(20).map((l) => `  console: ${l}`)]) {
      this.console.emit({ timestamp: this.kernelTime(), text: line, raw: line });
    }
    void guest.stop('GUEST_HANG');
  }
}

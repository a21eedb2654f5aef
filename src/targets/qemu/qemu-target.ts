import { execa, type ResultPromise } from 'execa';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InfraError } from '../../model/errors.js';
import { parseKernelLine, type KernelRecord } from '../../parsers/kernel-record.js';
import { cleanLine } from '../../parsers/text.js';
import type { CommandSpec, ExecResult, ExitInfo, KernelLogWatch, LineHandlers, RunningCommand, Target, TargetIdentity } from '../target.js';
import { AgentRequest } from './agent-request.js';
import { AGENT_SCRIPT, buildInitramfs } from './initramfs.js';
import { qemuArgv } from './qemu-command.js';

export interface QemuTargetOptions {
  readonly kernel: string;
  /** A directory holding lib/modules/<release> for this kernel. */
  readonly modulesDir?: string;
  readonly release?: string;
  readonly runDir: string;
  readonly cacheDir: string;
  readonly accel: 'kvm' | 'tcg';
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly cmdline: readonly string[];
  readonly modprobe: readonly string[];
  readonly vfio: readonly string[];
  readonly network: boolean;
  readonly bootTimeoutS: number;
  readonly watchdogS: number;
  readonly maxReboots: number;
  readonly note: (message: string) => void;
}

const POLL_MS = 20;
const CONSOLE_TAIL = 40;

function monotonicSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Guest {
  readonly boot: number;
  readonly dir: string;
  readonly qemu: ResultPromise;
  readonly exited: Promise<void>;
  alive: boolean;
  /** Why the guest is gone: a kernel panic, a hang the watchdog caught, or our own shutdown. */
  death?: string;
  offset: number;
  watchdog?: NodeJS.Timeout;
}

/**
 * A kernel under test booted in QEMU, reached through a shell agent in the guest. The guest
 * may die at any time (that is what is being tested): commands then end as killed by the
 * guest's death, and the next command boots it again, up to maxReboots times.
 */
export class QemuTarget implements Target {
  readonly kind = 'qemu' as const;
  // Output files are polled every POLL_MS through 9p: a test's lines arrive up to ~50 ms late.
  readonly observationLag = 0.05;
  readonly description: string;
  private guest: Guest | undefined;
  private booting: Promise<Guest> | undefined;
  private boots = 0;
  private requests = 0;
  private fatalReason: string | undefined;
  private readonly consoleTail: string[] = [];
  private readonly kernelListeners = new Set<(record: KernelRecord) => void>();
  private readonly consoleLog: string;
  private closed = false;

  constructor(private readonly options: QemuTargetOptions) {
    this.description = `QEMU guest (${options.accel.toUpperCase()}, kernel ${options.release ?? options.kernel})`;
    this.consoleLog = join(options.runDir, 'console.log');
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
      request = AgentRequest.create(join(guest.dir, 'req'), ++this.requests, spec);
      if (pendingKill) request.kill(pendingKill);
      for (;;) {
        request.drain(handlers.onLine);
        const status = request.status();
        if (status) {
          request.drain(handlers.onLine, true);
          request.remove();
          return status;
        }
        if (!guest.alive) {
          request.drain(handlers.onLine, true);
          return { exitCode: null, signal: guest.death ?? 'GUEST_DIED' };
        }
        await sleep(POLL_MS);
      }
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
    const result = await this.exec({ argv: ['cat', path] }, { timeoutMs: 60_000 });
    return result.exitCode === 0 ? result.stdout : undefined;
  }

  async readFileBytes(path: string): Promise<Buffer | undefined> {
    const guest = await this.ensureGuest();
    const request = AgentRequest.create(join(guest.dir, 'req'), ++this.requests, { argv: ['cat', path] });
    for (let waited = 0; waited < 60_000 && guest.alive; waited += POLL_MS) {
      const status = request.status();
      if (status) {
        const bytes = status.exitCode === 0 ? request.rawStdout() : undefined;
        request.remove();
        return bytes;
      }
      await sleep(POLL_MS);
    }
    return undefined;
  }

  async readDir(path: string): Promise<string[] | undefined> {
    const result = await this.exec({ argv: ['ls', '-1', path] }, { timeoutMs: 60_000 });
    return result.exitCode === 0 ? result.stdout.split('\n').filter(Boolean).sort() : undefined;
  }

  kernelTime(): number {
    return monotonicSeconds() + (this.guest?.offset ?? 0);
  }

  async watchKernelLog(onRecord: (record: KernelRecord) => void): Promise<KernelLogWatch> {
    // The serial console carries every kernel record (loglevel=7), even the panic that kills the agent.
    this.kernelListeners.add(onRecord);
    return { stop: async () => void this.kernelListeners.delete(onRecord) };
  }

  async identity(): Promise<TargetIdentity> {
    // One command, not three: every command is a round trip to an emulated guest.
    const result = await this.exec({ argv: ['uname', '-n', '-r', '-v'] }, { timeoutMs: 60_000 });
    const [hostname, release, ...version] = result.stdout.trim().split(' ');
    return { kernelRelease: release ?? 'unknown', kernelVersion: version.join(' ') || 'unknown', hostname: hostname ?? 'guest' };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.guest?.alive) await this.stopGuest(this.guest, 'shut down by svmtest');
  }

  /** The console lines before the guest died, for messages about boots and crashes. */
  tail(lines = CONSOLE_TAIL): string {
    return this.consoleTail.slice(-lines).join('\n');
  }

  private async ensureGuest(): Promise<Guest> {
    if (this.guest?.alive) return this.guest;
    if (this.fatalReason) throw new InfraError(this.fatalReason);
    if (this.closed) throw new InfraError('the QEMU target was closed');
    this.booting ??= this.bootGuest().finally(() => (this.booting = undefined));
    return this.booting;
  }

  private async bootGuest(): Promise<Guest> {
    if (this.boots > this.options.maxReboots) {
      this.fatalReason = `the guest died ${this.boots} times; giving up after --max-reboots ${this.options.maxReboots}`;
      throw new InfraError(this.fatalReason);
    }
    const boot = ++this.boots;
    if (boot > 1) this.options.note(`booting the guest again (reboot ${boot - 1} of at most ${this.options.maxReboots})`);
    const agentDir = join(this.options.runDir, '.agent');
    const dir = join(agentDir, `boot-${boot}`);
    mkdirSync(join(dir, 'req'), { recursive: true });
    copyFileSync(AGENT_SCRIPT, join(agentDir, 'agent.sh'));
    writeFileSync(join(dir, 'modprobe'), this.options.modprobe.join('\n'));
    const initramfs = await buildInitramfs({
      cacheDir: this.options.cacheDir,
      ...(this.options.modulesDir ? { modulesDir: this.options.modulesDir } : {}),
      ...(this.options.release ? { release: this.options.release } : {}),
    });
    const modulesTree = this.options.modulesDir && this.options.release ? join(this.options.modulesDir, 'lib', 'modules') : undefined;
    const argv = qemuArgv({
      kernel: this.options.kernel,
      initramfs,
      runDir: this.options.runDir,
      ...(modulesTree ? { modulesTree } : {}),
      accel: this.options.accel,
      memoryMiB: this.options.memoryMiB,
      cpus: this.options.cpus,
      boot,
      cmdline: this.options.cmdline,
      vfio: this.options.vfio,
      network: this.options.network,
    });
    appendFileSync(this.consoleLog, `\n===== svmtest: boot ${boot}: qemu-system-x86_64 ${argv.join(' ')}\n`);
    const qemu = execa('qemu-system-x86_64', argv, { reject: false, stdin: 'ignore', buffer: false, encoding: 'utf8' });
    let bootFailure: string | undefined;
    const reader = createInterface({ input: qemu.stdout!, crlfDelay: Infinity });
    reader.on('line', (raw) => {
      appendFileSync(this.consoleLog, `${raw}\n`);
      const line = cleanLine(raw);
      this.consoleTail.push(line);
      if (this.consoleTail.length > 200) this.consoleTail.splice(0, this.consoleTail.length - 200);
      if (line.includes('SVMTEST-BOOT-FAILED')) bootFailure = line;
      const record = parseKernelLine(line, true);
      if (record) for (const listener of this.kernelListeners) listener(record);
    });
    let stderr = '';
    qemu.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const consoleClosed = new Promise<void>((resolve) => reader.once('close', () => resolve()));
    const state: { guest?: Guest } = {};
    const exited = (async () => {
      await qemu;
      await consoleClosed;
      const g = state.guest!;
      g.alive = false;
      g.death ??= /Kernel panic/.test(this.tail(60)) ? 'KERNEL_PANIC' : 'GUEST_DIED';
      if (g.watchdog) clearInterval(g.watchdog);
    })();
    const guest: Guest = { boot, dir, qemu, alive: true, offset: 0, exited };
    state.guest = guest;
    const deadline = Date.now() + this.options.bootTimeoutS * 1000;
    while (!readFileSync(join(dir, 'ready'), { flag: 'a+' }).toString().endsWith('\n')) {
      if (!guest.alive || bootFailure || Date.now() > deadline) {
        const why = bootFailure ?? (!guest.alive ? `QEMU exited (${stderr.trim().split('\n').slice(-2).join(' | ') || 'see console.log'})` : `no guest agent after ${this.options.bootTimeoutS} s`);
        if (guest.alive) await this.stopGuest(guest, 'boot failed');
        this.fatalReason = `the guest did not boot: ${why}\n--- console (last lines) ---\n${this.tail(25)}`;
        throw new InfraError(this.fatalReason);
      }
      await sleep(POLL_MS);
    }
    const uptime = Number(readFileSync(join(dir, 'ready'), 'utf8').split(/\s+/)[0]);
    guest.offset = uptime - monotonicSeconds();
    this.startWatchdog(guest);
    this.guest = guest;
    return guest;
  }

  private startWatchdog(guest: Guest): void {
    let last = '';
    let lastChange = Date.now();
    const samples: Array<{ at: number; offset: number }> = [];
    guest.watchdog = setInterval(() => {
      let beat = '';
      try {
        beat = readFileSync(join(guest.dir, 'heartbeat'), 'utf8');
      } catch {
        // not written yet
      }
      if (beat !== last) {
        last = beat;
        lastChange = Date.now();
        // Guest uptime seen now: a lower bound of the clock offset. The best of the last few
        // seconds follows an emulated guest's clock as it drifts from the host's.
        const uptime = Number.parseFloat(beat);
        if (beat.endsWith('\n') && Number.isFinite(uptime)) {
          const now = monotonicSeconds();
          samples.push({ at: now, offset: uptime - now });
          while (samples.length > 0 && samples[0]!.at < now - 3) samples.shift();
          guest.offset = Math.max(...samples.map((s) => s.offset));
        }
      } else if (guest.alive && Date.now() - lastChange > this.options.watchdogS * 1000) {
        this.options.note(`guest watchdog: no progress for ${this.options.watchdogS} s; killing QEMU`);
        // What the console showed last is the only record of a hang: hand it on as a kernel event.
        const text = `svmtest: guest hang: no progress from the guest agent for ${this.options.watchdogS} s`;
        const raw = [text, ...this.consoleTail.slice(-20).map((l) => `  console: ${l}`)];
        for (const listener of this.kernelListeners) {
          for (const line of raw) listener({ timestamp: this.kernelTime(), text: line, raw: line });
        }
        void this.stopGuest(guest, 'GUEST_HANG');
      }
    }, 100);
    guest.watchdog.unref();
  }

  private async stopGuest(guest: Guest, reason: string): Promise<void> {
    guest.death ??= reason;
    if (guest.watchdog) clearInterval(guest.watchdog);
    guest.qemu.kill('SIGTERM');
    const killer = setTimeout(() => guest.qemu.kill('SIGKILL'), 3000);
    await guest.exited;
    clearTimeout(killer);
  }
}

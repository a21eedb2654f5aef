import type { DeathSignal } from './dut-deaths.js';
import { RebootBudget } from '../machine/reboot-budget.js';
import { execa } from 'execa';
import { createInterface } from 'node:readline';
import { InfraError } from '../../model/errors.js';
import { parseKernelLine, type KernelRecord } from '../../parsers/kernel-record.js';
import { startGroup, type StartedGroup } from '../machine/process-group.js';
import { MachineConsole } from '../machine/console-log.js';
import { monotonicSeconds } from '../machine/clock.js';
import { bootCmdline, checkBooted, deployKernel, dutState, newToken, privileged, startBoot, restoreDefault, type DeployedKernel } from './kernel-boot.js';
import { quoteArgv, sweepCommand } from './remote-shell.js';
import { DutMarks } from './dut-marks.js';
import { KernelLogUnavailable } from '../target.js';
import type { KernelMarkWriter } from '../kernel-marks.js';
import { isKernelDown } from '../../parsers/kernel-log.js';
import { openFirst, SshConnection, sshComplaint } from './ssh-connection.js';
import type { SshEndpoint, SshSettings } from './ssh-settings.js';
import { describePower, powerCycle } from './power.js';

const HEARTBEAT_MS = 2000;

/** The DUT did not come back (or came back on its old kernel) within ssh.bootTimeout: with power control, it is tried again. */
class BootTimeout extends InfraError {}

export interface SupervisorOptions {
  readonly endpoint: SshEndpoint;
  readonly settings: SshSettings;
  readonly consoleLog: string;
  readonly note: (message: string) => void;
}

/**
 * Keeps a live connection to the DUT running the variant's kernel: connects, deploys and boots the
 * kernel, proves it booted, follows the kernel log and the console, and watches a heartbeat. A DUT
 * that panics or stops answering is dead: running commands end with the machine's death, and the
 * next command power-cycles it, boots the kernel again and re-verifies — up to maxReboots times.
 */
export class DutSupervisor {
  private conn: SshConnection | undefined;
  private connecting: Promise<SshConnection> | undefined;
  private deployed: DeployedKernel | undefined;
  private root = true;
  private kmsgReadable = false;
  private offsetSeconds = 0;
  private lastBeat = Date.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private kmsg: StartedGroup | undefined;
  private marks: DutMarks | undefined;
  private consoleProcess: StartedGroup | undefined;
  private lastRecordAt = -1;
  private dead: DeathSignal | undefined;
  private readonly budget: RebootBudget;
  private fatalReason: string | undefined;
  private closed = false;
  private everUp = false;
  private readonly console: MachineConsole;
  private readonly recordListeners = new Set<(record: KernelRecord) => void>();
  private readonly deathListeners = new Set<(signal: DeathSignal) => void>();

  constructor(private readonly options: SupervisorOptions) {
    this.console = new MachineConsole(options.consoleLog);
    this.budget = new RebootBudget(options.settings.maxReboots, 'the DUT');
    this.console.subscribe((record) => {
      if (isKernelDown(record.text) && !this.dead && this.conn) this.die('DUT_PANIC', 'a kernel panic on the console');
    });
  }

  get fatal(): string | undefined {
    return this.fatalReason;
  }

  get isRoot(): boolean {
    return this.root;
  }

  /** A writer of svmtest's marks into the DUT's kernel log, when it can be written. */
  async openMarks(): Promise<KernelMarkWriter> {
    const conn = await this.current();
    if ((await conn.run(privileged(this.root, ['test', '-w', '/dev/kmsg']))).exitCode !== 0)
      throw new KernelLogUnavailable('cannot write /dev/kmsg on the DUT (log in as root, or allow sudo -n)');
    this.marks = new DutMarks(() => (this.dead ? undefined : this.conn), this.root);
    this.marks.attach(conn);
    return this.marks;
  }

  get canReadKernelLog(): boolean {
    return this.kmsgReadable;
  }

  get kernel(): DeployedKernel | undefined {
    return this.deployed;
  }

  kernelTime(): number {
    return monotonicSeconds() + this.offsetSeconds;
  }

  onRecord(listener: (record: KernelRecord) => void): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  onDeath(listener: (signal: DeathSignal) => void): () => void {
    this.deathListeners.add(listener);
    return () => this.deathListeners.delete(listener);
  }

  /** The connection to a live DUT on the variant's kernel; after a death, the DUT recovered first. */
  async current(): Promise<SshConnection> {
    if (this.conn && !this.dead) return this.conn;
    if (this.fatalReason) throw new InfraError(this.fatalReason);
    if (this.closed) throw new InfraError('the SSH target was closed');
    // A DUT that cannot be brought up (again) ends the run: the remaining tests stay unrun, resumable.
    this.connecting ??= this.bringUp()
      .catch((error: Error) => {
        // The first bring-up's failure is the run's error; a later one ends the run mid-way: say it now.
        if (!this.fatalReason && this.everUp) this.options.note(`the DUT is lost: ${error.message}`);
        this.fatalReason ??= error.message;
        throw error;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Has the DUT been seen alive within the watchdog, right now? (One heartbeat, for a command that lost its connection.) */
  async confirmAlive(): Promise<boolean> {
    if (this.dead) return false;
    const deadline = Date.now() + this.options.settings.watchdogS * 1000;
    while (!this.dead && Date.now() < deadline) {
      if (await this.beat()) return true;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (!this.dead) this.die('DUT_DIED', `no answer over SSH for ${this.options.settings.watchdogS} s`);
    return false;
  }

  /**
   * Brings the DUT up; a boot that hangs (a kexec that never reached the new kernel, firmware stuck
   * on a real machine) is a dead DUT: with power control it is power-cycled and booted again, each
   * time out of the same --max-reboots budget as a crash.
   */
  private async bringUp(): Promise<SshConnection> {
    for (;;) {
      try {
        return await this.bringUpOnce();
      } catch (error) {
        const { settings, note } = this.options;
        if (!(error instanceof BootTimeout) || !settings.power || this.budget.reboots >= settings.maxReboots) throw error;
        const lastLines = this.console.tail(5);
        note(`${error.message}${lastLines.length > 0 ? ` (its console last said: ${lastLines.join(' | ')})` : ''}; booting it again after a power cycle`);
        this.dead = 'DUT_DIED';
      }
    }
  }

  private async bringUpOnce(): Promise<SshConnection> {
    const { settings, note } = this.options;
    const first = this.budget.reboots === 0 && !this.dead;
    if (!first) {
      if (!settings.power) {
        throw new InfraError(
          `the DUT ${this.options.endpoint.host} died and no power control is configured (ssh.powerCommand, or ssh.powerOff and ssh.powerOn) to power-cycle it; power it on, then continue with svmtest run --resume`,
        );
      }
      const cycle = this.budget.take();
      note(`power-cycling the DUT (${cycle} of at most ${settings.maxReboots}): ${describePower(settings.power)}`);
      await powerCycle(settings.power);
    }
    this.dead = undefined;
    await this.startConsole();
    let conn = await this.connect(first ? 'connect' : 'wait');
    if (settings.kernel && settings.boot !== 'none') conn = await this.bootVariant(conn, first);
    for (const module of settings.modprobe) {
      const loaded = await conn.run(privileged(this.root, ['modprobe', module]), { timeoutMs: 120_000, alone: true });
      if (loaded.exitCode !== 0) note(`modprobe ${module} on the DUT failed: ${sshComplaint(loaded.stderr)}`);
    }
    this.startKernelLog(conn);
    this.marks?.attach(conn);
    this.startHeartbeat();
    this.conn = conn;
    this.everUp = true;
    return conn;
  }

  /** Kills what an earlier svmtest left running on the DUT (see sweepCommand), and says so. As the login user: its own groups only. */
  private async sweep(conn: SshConnection): Promise<void> {
    const swept = await conn.run(sweepCommand(), { timeoutMs: 30_000 });
    const groups = swept.stdout.split('\n').filter((l) => l.startsWith('swept '));
    if (groups.length > 0) {
      this.options.note(`killed ${groups.length} process group(s) an earlier svmtest left running on the DUT (${groups.map((g) => g.slice(6)).join(', ')})`);
    }
  }

  /** Opens a connection: at once (a first connect fails fast with ssh's reason), or waiting for a booting DUT. */
  private async connect(mode: 'connect' | 'wait'): Promise<SshConnection> {
    const { endpoint, settings, note } = this.options;
    const deadline = Date.now() + settings.bootTimeoutS * 1000;
    let lastError = '';
    let reported = 0;
    const timeoutMs = endpoint.connectTimeoutS * 1000 + 5000;
    for (;;) {
      let conn: SshConnection | undefined;
      try {
        // The first connection is one try: a DUT that is not there says so at once. Waiting for a boot, tries overlap.
        if (mode === 'connect') {
          conn = new SshConnection(endpoint);
          await conn.open(timeoutMs);
        } else conn = await openFirst(endpoint, timeoutMs);
        this.root = (await conn.run(['id', '-u'])).stdout.trim() === '0';
        this.kmsgReadable = (await conn.run(privileged(this.root, ['test', '-r', '/dev/kmsg']))).exitCode === 0;
        await this.sweep(conn);
        await this.beat(conn);
        return conn;
      } catch (error) {
        await conn?.close();
        lastError = (error as Error).message;
        if (mode === 'connect' || /Host key verification failed|Permission denied/.test(lastError)) throw error;
      }
      if (Date.now() > deadline) throw new BootTimeout(`the DUT did not answer over SSH within ${settings.bootTimeoutS} s: ${lastError}`);
      const waited = Math.round((settings.bootTimeoutS * 1000 - (deadline - Date.now())) / 1000);
      if (waited - reported >= 10) {
        reported = waited;
        note(`waiting for the DUT over SSH (${waited} s of ${settings.bootTimeoutS} s)`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Deploys (first time, and after a power cycle) and boots the variant's kernel, then proves it runs. */
  private async bootVariant(conn: SshConnection, first: boolean): Promise<SshConnection> {
    const { settings, note } = this.options;
    if (first || this.budget.reboots > 0) this.deployed = await deployKernel(conn, this.root, settings, note);
    const kernel = this.deployed!;
    const before = await dutState(conn);
    const token = newToken();
    const cmdline = await bootCmdline(conn, this.root, settings, token);
    note(`booting ${kernel.release} on the DUT with ${settings.boot} (boot ${token})`);
    this.console.mark(`${settings.boot} into ${kernel.release}: ${cmdline}`);
    await startBoot(conn, this.root, settings, kernel, cmdline);
    await conn.close();
    const bootStarted = Date.now();
    const deadline = bootStarted + settings.bootTimeoutS * 1000;
    let seen = before.release;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      // The old kernel may still answer for a moment, and drop the connection mid-command.
      let next: SshConnection | undefined;
      let state: Awaited<ReturnType<typeof dutState>>;
      try {
        next = await this.connect('wait');
        state = await dutState(next);
      } catch (error) {
        await next?.close();
        if (Date.now() > deadline) throw error;
        continue;
      }
      try {
        if (checkBooted(before, state, token, kernel.release) === 'booted') {
          note(`the DUT runs ${kernel.release} (boot ${token}), up over SSH after ${((Date.now() - bootStarted) / 1000).toFixed(1)} s`);
          return next;
        }
      } catch (error) {
        await next.close(); // a wrong kernel: nothing of it may outlive the run
        throw error;
      }
      seen = state.release;
      await next.close();
      if (Date.now() > deadline) throw new BootTimeout(`the DUT did not boot the deployed kernel within ${settings.bootTimeoutS} s: it still runs ${seen}`);
    }
  }

  private async beat(conn = this.conn): Promise<boolean> {
    if (!conn) return false;
    const sent = monotonicSeconds();
    const result = await conn.run(['cat', '/proc/uptime'], { timeoutMs: 10_000, alone: !conn.channelIdle });
    const uptime = Number.parseFloat(result.stdout);
    if (result.exitCode !== 0 || !Number.isFinite(uptime)) return false;
    // The DUT's clock at the midpoint of the round trip: /proc/uptime is the kernel log's timebase.
    // Through an idle command channel the trip is a few milliseconds; never queued behind a long command.
    this.offsetSeconds = uptime - (sent + monotonicSeconds()) / 2;
    this.lastBeat = Date.now();
    return true;
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.lastBeat = Date.now();
    let busy = false;
    this.heartbeat = setInterval(() => {
      if (busy || this.dead) return;
      busy = true;
      void this.beat().finally(() => {
        busy = false;
        const silent = (Date.now() - this.lastBeat) / 1000;
        if (!this.dead && silent > this.options.settings.watchdogS) this.die('DUT_HANG', `no heartbeat over SSH for ${Math.round(silent)} s`);
      });
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private startKernelLog(conn: SshConnection): void {
    this.kmsg?.kill('SIGTERM');
    this.kmsg = undefined;
    if (!this.kmsgReadable) return;
    const since = this.kernelTime() - 1;
    const follower = conn.start(quoteArgv(privileged(this.root, ['cat', '/dev/kmsg'])));
    this.kmsg = follower;
    createInterface({ input: follower.child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      const record = parseKernelLine(line);
      // /dev/kmsg replays the buffer from boot: keep what was logged from now on.
      if (record && record.timestamp !== null && record.timestamp >= since) this.emit(record);
    });
  }

  private async startConsole(): Promise<void> {
    const { consoleCommand: command, consoleStop } = this.options.settings;
    if (!command || this.consoleProcess) return;
    // A console session another user (or a killed svmtest) left open would keep this one out. Its
    // failure is normal (no session was open); only a command that cannot run is worth a note.
    if (consoleStop) {
      const stopped = await execa(consoleStop[0]!, consoleStop.slice(1), { reject: false, timeout: 30_000 });
      if (stopped.failed && stopped.exitCode === undefined) this.options.note(`the console stop command did not run: ${stopped.shortMessage}`);
    }
    const started = startGroup({ argv: command });
    this.consoleProcess = started;
    void this.console.follow(started.child.stdout!);
    void started.done.then(() => {
      if (this.consoleProcess === started) this.consoleProcess = undefined;
    });
  }

  private emit(record: KernelRecord): void {
    if (record.timestamp !== null) this.lastRecordAt = Math.max(this.lastRecordAt, record.timestamp);
    for (const listener of this.recordListeners) listener(record);
  }

  /** The DUT is gone: what it said last becomes the kernel events of the test it ran, and its commands end. */
  private die(signal: DeathSignal, why: string): void {
    if (this.dead) return;
    this.dead = signal;
    clearInterval(this.heartbeat);
    this.options.note(`the DUT died: ${why}`);
    // Records the SSH kernel log could not deliver (the panic itself) come from the console.
    const lines = this.console.tail(60);
    const missed = lines.map((l) => parseKernelLine(l, true)).filter((r): r is KernelRecord => !!r && r.timestamp !== null && r.timestamp > this.lastRecordAt);
    for (const record of missed) this.emit(record);
    if (signal !== 'DUT_PANIC') {
      // No record of a machine that stopped answering but what svmtest saw: its console's last lines, if any.
      const text = `svmtest: DUT down: ${this.options.endpoint.host}: ${why}`;
      for (const line of [text, ...lines.slice(-20).map((l) => `  console: ${l}`)]) this.emit({ timestamp: this.kernelTime(), text: line, raw: line });
    }
    for (const listener of this.deathListeners) listener(signal);
    this.kmsg?.kill('SIGKILL');
    const conn = this.conn;
    this.conn = undefined;
    void conn?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.connecting?.catch(() => undefined);
    const conn = this.conn;
    if (conn && this.options.settings.restore && this.options.settings.boot !== 'none' && this.deployed) {
      this.options.note(`rebooting the DUT into its default kernel (ssh.restore)`);
      await restoreDefault(conn, this.root).catch((error: Error) => this.options.note(`restoring the DUT failed: ${error.message}`));
    }
    this.kmsg?.kill('SIGTERM');
    this.consoleProcess?.kill('SIGTERM');
    await conn?.close();
    this.conn = undefined;
  }
}

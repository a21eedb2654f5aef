import { RebootBudget } from '../machine/reboot-budget.js';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../model/errors.js';
import { Guest, GuestBootError } from './guest.js';
import type { MachineConsole } from '../machine/console-log.js';
import { watchHeartbeat, type HeartbeatWatch } from '../machine/heartbeat.js';
import { AGENT_SCRIPT, buildInitramfs } from './initramfs.js';
import { qemuArgv } from './qemu-command.js';
import { stillBootable } from './boot-image.js';
import type { QemuTargetOptions } from './qemu-options.js';

/**
 * Keeps a guest running for the target: boots it on first use and again after it died (a panic,
 * a hang the watchdog caught), up to maxReboots times; then, and after a boot that failed, the
 * target is fatal and says why.
 */
export class GuestSupervisor {
  private guest: Guest | undefined;
  private watchdog: HeartbeatWatch | undefined;
  private booting: Promise<Guest> | undefined;
  private boots = 0;
  private fatalReason: string | undefined;
  private closed = false;
  private readonly budget: RebootBudget;

  constructor(
    private readonly options: QemuTargetOptions,
    private readonly console: MachineConsole,
    /** The guest's kernel clock now, for the hang record the watchdog writes. */
    private readonly kernelTime: () => number,
  ) {
    this.budget = new RebootBudget(options.maxReboots, 'the guest');
  }

  get bootCount(): number {
    return this.boots;
  }

  get fatal(): string | undefined {
    return this.fatalReason;
  }

  /** Guest uptime minus host monotonic time, once a guest runs. */
  get offset(): number {
    return this.guest?.offset ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchdog?.stop();
    if (this.guest?.alive) await this.guest.stop('shut down by svmtest');
  }

  /** The guest running now, if one is (never boots one). */
  get live(): Guest | undefined {
    return this.guest?.alive ? this.guest : undefined;
  }

  /** The running guest, booted (again) when needed. */
  async current(): Promise<Guest> {
    if (this.guest?.alive) return this.guest;
    if (this.fatalReason) throw new InfraError(this.fatalReason);
    if (this.closed) throw new InfraError('the QEMU target was closed');
    this.booting ??= this.bootGuest().finally(() => (this.booting = undefined));
    return this.booting;
  }

  private async bootGuest(): Promise<Guest> {
    const { options } = this;
    if (this.boots > 0) {
      try {
        const reboot = this.budget.take();
        options.note(`booting the guest again (reboot ${reboot} of at most ${options.maxReboots})`);
      } catch (error) {
        this.fatalReason = (error as Error).message;
        throw error;
      }
    }
    ++this.boots;
    const boot = nextBootNumber(options.agentDir);
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
    const image = await stillBootable(options.bootImage, options.kernel, options.cacheDir);
    const argv = qemuArgv({ ...options, kernel: image.path, initramfs, ...(modulesTree ? { modulesTree } : {}), boot });
    this.console.mark(`boot ${boot}: qemu-system-x86_64 ${argv.join(' ')}`);
    let guest: Guest;
    try {
      guest = await Guest.boot({ argv, dir, console: this.console, bootTimeoutS: options.bootTimeoutS });
    } catch (error) {
      if (!(error instanceof GuestBootError)) throw error;
      this.fatalReason = `the guest did not boot: ${error.message}\n--- console (last lines) ---\n${this.console.tail(25).join('\n')}`;
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

/**
 * The number of the next boot's directory: after every boot-<n> there. A run resumed after svmtest
 * was killed boots again in the same run directory, where the killed session's boots left theirs
 * (and their requests, which a new guest must not take for its own).
 */
function nextBootNumber(agentDir: string): number {
  let last = 0;
  for (const name of existsSync(agentDir) ? readdirSync(agentDir) : []) {
    const n = /^boot-(\d+)$/.exec(name);
    if (n) last = Math.max(last, Number(n[1]));
  }
  return last + 1;
}

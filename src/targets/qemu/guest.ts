import { execa, type ResultPromise } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processReaper } from '../reaper.js';
import type { MachineConsole } from '../machine/console-log.js';
import { monotonicSeconds } from '../machine/clock.js';

const POLL_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface GuestBoot {
  readonly argv: readonly string[];
  /** The boot's agent directory: the agent writes `ready` there once it runs. */
  readonly dir: string;
  readonly console: MachineConsole;
  readonly bootTimeoutS: number;
}

export class GuestBootError extends Error {}

/** One boot of the guest: a QEMU process from start until it exits, and why it exited. */
export class Guest {
  alive = true;
  /** Why the guest is gone: a kernel panic, a hang the watchdog caught, or our own shutdown. */
  /** A GuestDeath, or why svmtest stopped it. */
  death: string | undefined;
  /** Guest uptime minus host monotonic time: the guest's kernel clock, estimated. */
  offset = 0;
  readonly exited: Promise<void>;
  private stderr = '';

  private constructor(
    readonly dir: string,
    private readonly qemu: ResultPromise,
    console: MachineConsole,
  ) {
    processReaper.track(qemu.pid);
    qemu.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    const consoleClosed = console.follow(qemu.stdout!);
    this.exited = (async () => {
      await qemu;
      await consoleClosed;
      processReaper.untrack(qemu.pid);
      this.alive = false;
      this.death ??= console.tail(60).some((l) => /Kernel panic/.test(l)) ? 'KERNEL_PANIC' : 'GUEST_DIED';
    })();
  }

  /** Starts QEMU and waits for the agent; a guest that does not come up is stopped and explained. */
  static async boot(spec: GuestBoot): Promise<Guest> {
    // Its own process group: a terminal's Ctrl-C reaches svmtest's whole foreground group, and the
    // guest must live on until svmtest has recorded the interrupted test and stopped it itself.
    const qemu = execa('qemu-system-x86_64', [...spec.argv], { reject: false, stdin: 'ignore', buffer: false, encoding: 'utf8', detached: true });
    const guest = new Guest(spec.dir, qemu, spec.console);
    const ready = join(spec.dir, 'ready');
    const deadline = Date.now() + spec.bootTimeoutS * 1000;
    while (!(existsSync(ready) && readFileSync(ready, 'utf8').endsWith('\n'))) {
      const failed = spec.console.failedBoot;
      if (!guest.alive || failed || Date.now() > deadline) {
        const why =
          failed ??
          (!guest.alive
            ? `QEMU exited (${guest.stderr.trim().split('\n').slice(-2).join(' | ') || 'see console.log'})`
            : `no guest agent after ${spec.bootTimeoutS} s`);
        if (guest.alive) await guest.stop('boot failed');
        throw new GuestBootError(why);
      }
      await sleep(POLL_MS);
    }
    guest.offset = Number(readFileSync(ready, 'utf8').split(/\s+/)[0]) - monotonicSeconds();
    return guest;
  }

  async stop(reason: string): Promise<void> {
    this.death ??= reason;
    this.qemu.kill('SIGTERM');
    const killer = setTimeout(() => this.qemu.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(killer);
  }
}

import { type DeathSignal, dutDeathExit } from './dut-deaths.js';
import { createInterface } from 'node:readline';
import type { KernelRecord } from '../../parsers/kernel-record.js';
import { entriesOf, execBySpawn, readTextBy } from '../machine/exec-by-spawn.js';
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
} from '../target.js';
import { type ChannelRoute, type ResultListener, spawnWithChannel } from '../result-listener.js';
import type { KernelMarkWriter } from '../kernel-marks.js';
import { exitFromStatus } from '../machine/exit-status.js';
import type { DutSupervisor } from './dut-supervisor.js';
import type { SshConnection } from './ssh-connection.js';
import { groupCommand, PGID_MARK, RC_MARK } from './remote-shell.js';

const FILE_TIMEOUT_MS = 60_000;
/**
 * A machine under test reached over SSH. The engine stays on this machine: commands run on the
 * DUT in their own process group, their output streamed back line by line; files and the
 * topology are read there; the kernel log follows /dev/kmsg over its own channel.
 */
export class SshTarget implements Target {
  readonly kind = 'ssh' as const;
  readonly observationLag = 0.05;
  readonly ownScratch = '/tmp';

  constructor(
    private readonly dut: DutSupervisor,
    readonly description: string,
  ) {}

  fatal(): string | undefined {
    return this.dut.fatal;
  }

  spawn(spec: CommandSpec, handlers: LineHandlers): RunningCommand {
    if (!spec.resultChannel) return this.spawnNow(spec, handlers);
    // The listener is here, reached from the DUT's loopback through a remote forward on the existing connection.
    const route = async (listener: ResultListener): Promise<ChannelRoute> => {
      const forward = await this.dut
        .current()
        .then((conn) => conn.forwardToLocal(listener.port))
        .catch(() => undefined);
      if (!forward) return { refused: 'the DUT refused a remote forward for the result channel (sshd AllowTcpForwarding)' };
      return { address: `127.0.0.1:${forward.remotePort}`, close: forward.cancel };
    };
    return spawnWithChannel(spec, handlers, route, (s, h) => this.spawnNow(s, h));
  }

  private spawnNow(spec: CommandSpec, handlers: LineHandlers): RunningCommand {
    let pgid: number | undefined;
    let killedWith: NodeJS.Signals | undefined;
    let stopLocal: (() => void) | undefined;
    const sendKill = (signal: NodeJS.Signals) => {
      if (pgid === undefined) return;
      void this.dut
        .current()
        .then((conn) => conn.run(['kill', `-${signal.replace(/^SIG/, '')}`, `-${pgid}`], { timeoutMs: 10_000, alone: true }))
        .catch(() => undefined);
    };
    const done = (async (): Promise<ExitInfo> => {
      let conn: SshConnection;
      try {
        conn = await this.dut.current();
      } catch (error) {
        handlers.onLine('stderr', (error as Error).message);
        return { exitCode: 127, signal: null };
      }
      let rc: number | undefined;
      let death: DeathSignal | undefined;
      // stdin held open, never written: its end is the DUT-side guard's signal that svmtest is gone.
      const started = conn.start(groupCommand(spec), { stdin: true });
      started.child.stdin!.on('error', () => undefined);
      stopLocal = () => started.kill('SIGKILL');
      const unsubscribe = this.dut.onDeath((signal) => {
        death = signal;
        started.kill('SIGKILL');
      });
      const closed: Array<Promise<void>> = [];
      for (const stream of ['stdout', 'stderr'] as const) {
        const reader = createInterface({ input: started.child[stream]!, crlfDelay: Infinity });
        reader.on('line', (line) => {
          if (stream === 'stderr') {
            if (pgid === undefined && line.startsWith(PGID_MARK)) {
              pgid = Number(line.slice(PGID_MARK.length));
              if (killedWith) sendKill(killedWith);
              return;
            }
            const at = line.lastIndexOf(RC_MARK);
            if (at >= 0 && /^\d+$/.test(line.slice(at + RC_MARK.length))) {
              rc = Number(line.slice(at + RC_MARK.length));
              if (at > 0) handlers.onLine(stream, line.slice(0, at));
              return;
            }
          }
          handlers.onLine(stream, line);
        });
        closed.push(new Promise((resolve) => reader.once('close', () => resolve())));
      }
      const exit = await started.done;
      started.child.stdin!.destroy();
      await Promise.all(closed);
      unsubscribe();
      if (death) return dutDeathExit(death);
      if (rc !== undefined) return exitFromStatus(rc);
      // Killed on purpose: the wrapper went with its group before it could say how the command ended.
      if (killedWith) return { exitCode: null, signal: killedWith };
      // The connection dropped under the command: the DUT died, or only the network did.
      if (!(await this.dut.confirmAlive())) return dutDeathExit(death ?? 'DUT_DIED');
      handlers.onLine('stderr', `svmtest: the SSH connection ended before the command did (ssh exit ${exit.exitCode})`);
      return { exitCode: exit.exitCode ?? 255, signal: null };
    })();
    return {
      done,
      kill: (signal) => {
        killedWith = signal;
        if (pgid !== undefined) sendKill(signal);
        else if (signal === 'SIGKILL') stopLocal?.();
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
    const conn = await this.dut.current();
    const result = await conn.run(['cat', '--', path], { timeoutMs: FILE_TIMEOUT_MS });
    return result.exitCode === 0 ? result.bytes : undefined;
  }

  async readDir(path: string): Promise<string[] | undefined> {
    const conn = await this.dut.current();
    const result = await conn.run(['ls', '-1', '--', path], { timeoutMs: FILE_TIMEOUT_MS });
    return entriesOf(result);
  }

  kernelTime(): number {
    return this.dut.kernelTime();
  }

  async watchKernelLog(onRecord: (record: KernelRecord) => void): Promise<KernelLogWatch> {
    await this.dut.current();
    if (!this.dut.canReadKernelLog) throw new KernelLogUnavailable('cannot read /dev/kmsg on the DUT (log in as root, or allow sudo -n cat /dev/kmsg)');
    const unsubscribe = this.dut.onRecord(onRecord);
    return { stop: async () => void unsubscribe() };
  }

  async openKernelMarks(): Promise<KernelMarkWriter> {
    return this.dut.openMarks();
  }

  async identity(): Promise<TargetIdentity> {
    const conn = await this.dut.current();
    const result = await conn.run(['uname', '-n', '-r', '-v'], { timeoutMs: FILE_TIMEOUT_MS });
    const [hostname, release, ...version] = result.stdout.trim().split(' ');
    return { kernelRelease: release ?? 'unknown', kernelVersion: version.join(' ') || 'unknown', hostname: hostname ?? 'dut' };
  }

  async close(): Promise<void> {
    await this.dut.close();
  }
}

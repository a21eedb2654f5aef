import type { TargetKind } from '../model/run.js';
import type { KernelRecord } from '../parsers/kernel-record.js';
import type { ChannelMarkSpec, KernelMarkWriter } from './kernel-marks.js';

/** A command for the machine under test: always an argument vector, never a shell string. */
export interface CommandSpec {
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /**
   * The command streams its results to a TCP socket (gtest's --gtest_stream_result_to): the
   * target listens where the command runs, puts that socket's HOST:PORT where RESULT_CHANNEL
   * stands in argv, and hands what arrives to `onChannel`. The command starts only once the
   * listener is up.
   */
  readonly resultChannel?: boolean;
  /** With a result channel, on a target that marks from it (Target.marksFromChannel): the marks to write. */
  readonly marks?: ChannelMarkSpec;
  /**
   * The command may run in a process forked from a warm start of its program (a fork server),
   * where the target has one: argv[0] is the program itself, and `idleArgs` make it run no test
   * should the server's library not load.
   */
  readonly forkable?: { readonly idleArgs: readonly string[] };
}

/** Stands in argv for the result channel's HOST:PORT (a NUL cannot reach a real argv). */
export const RESULT_CHANNEL = '\u0000svmtest-result-channel\u0000';

/** argv with the result channel's address in place of RESULT_CHANNEL. */
export function withChannelAddress(argv: readonly string[], address: string): string[] {
  return argv.map((arg) => arg.split(RESULT_CHANNEL).join(address));
}

export interface ExitInfo {
  readonly exitCode: number | null;
  /** The signal that ended the process (SIGSEGV, SIGKILL…), or the target's name for the machine's death (GUEST_HANG). */
  readonly signal: string | null;
  /**
   * Set when the machine under test itself died (a panic, a hang), not just the process: how the
   * command ended, in the target's words ("ended when the guest kernel panicked"). Each target
   * names its own deaths.
   */
  readonly machineDeath?: string;
  /** The process's id in the target's kernel (what its kernel records name), where the target knows it. */
  readonly pid?: number;
}

export interface RunningCommand {
  readonly done: Promise<ExitInfo>;
  /** Signals the command's whole process group. */
  kill(signal: NodeJS.Signals): void;
}

export interface LineHandlers {
  onLine(stream: 'stdout' | 'stderr', line: string): void;
  /** A line from the command's result channel (only with CommandSpec.resultChannel). */
  onChannel?(line: string): void;
}

export interface ExecResult extends ExitInfo {
  readonly stdout: string;
  readonly stderr: string;
}

export interface KernelLogWatch {
  stop(): Promise<void>;
  /** What went wrong while following (records overwritten before they were read): said in the run. */
  problems?(): string[];
  /** Reads what the log holds now, for a follower that polls (a mark just written comes back at once). */
  poll?(): void;
}

export interface TargetIdentity {
  readonly kernelRelease: string;
  readonly kernelVersion: string;
  readonly hostname: string;
}

/**
 * How the engine reaches the machine under test: the host itself, a QEMU guest, or a machine
 * over SSH. The engine, the suites and preflight use nothing else to touch that machine.
 */
export interface Target {
  readonly kind: TargetKind;
  readonly description: string;
  spawn(spec: CommandSpec, handlers: LineHandlers): RunningCommand;
  exec(spec: CommandSpec, options?: { timeoutMs?: number }): Promise<ExecResult>;
  /** undefined when the file does not exist or cannot be read. */
  readFile(path: string): Promise<string | undefined>;
  readFileBytes(path: string): Promise<Buffer | undefined>;
  readDir(path: string): Promise<string[] | undefined>;
  /** Whether a path exists, where the target can tell without running a command (else `test -e` is run). */
  exists?(path: string): Promise<boolean>;
  /** The target kernel's clock (seconds since boot, the kernel log's timebase), estimated now. */
  kernelTime(): number;
  /** How late svmtest typically sees a test's output lines on this target (seconds). */
  readonly observationLag?: number;
  /** Follows the kernel log from now on; rejects with a KernelLogUnavailable error when not permitted. */
  watchKernelLog(onRecord: (record: KernelRecord) => void): Promise<KernelLogWatch>;
  /** A writer of marker records into the kernel log; rejects with KernelLogUnavailable when the log cannot be written. */
  openKernelMarks?(): Promise<KernelMarkWriter>;
  /**
   * The target writes a command's start and end marks itself, where the test runs, as its result
   * channel reports them (CommandSpec.marks): marks written by svmtest would arrive too late.
   */
  readonly marksFromChannel?: boolean;
  /**
   * Where a command's scratch files go when the machine does not see this machine's run directory
   * (a DUT): they are read back through the target. Unset: the run directory is shared.
   */
  readonly ownScratch?: string;
  identity(): Promise<TargetIdentity>;
  /**
   * The environment that line-buffers a program's output without stdbuf's own exec, where coreutils'
   * library is on the machine's root; undefined (or unset): the program runs through stdbuf.
   */
  lineBufferedEnv?(env: Readonly<Record<string, string>>): Record<string, string> | undefined;
  /** How the target ran things, that a reader of the run must know (a fork server's use, or why not; how a guest's kernel booted). */
  notes?(): string[];
  /** Set when the target can no longer run anything (a guest that will not boot again). */
  fatal?(): string | undefined;
  close(): Promise<void>;
}

export class KernelLogUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelLogUnavailable';
  }
}

/** The machine under test died (a panic, a hang), not just the process: its kernel records say which test. */
export function isMachineDeath(exit: ExitInfo): boolean {
  return exit.machineDeath !== undefined;
}

export function describeExit(exit: ExitInfo): string {
  if (exit.machineDeath) return exit.machineDeath;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.exitCode}`;
}

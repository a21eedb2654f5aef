import { readFileSync, rmSync } from 'node:fs';
import { InputError } from '../model/errors.js';
import { runExitCode } from '../compare/exit-policy.js';
import { EXIT, type ExitCode } from '../model/exit-codes.js';
import type { Shard } from '../model/run.js';
import type { TestOrder } from '../model/order.js';
import { watchInterrupts } from '../pipeline/interrupts.js';
import { loadExpectations } from '../pipeline/load-expectations.js';
import type { KernelEventPolicy, RunRequest } from '../pipeline/run-request.js';
import { KeptMachines } from '../pipeline/kept-machines.js';
import { runVariant } from '../pipeline/run-variant.js';
import { timedRounds } from '../pipeline/timed-rounds.js';
import { pickTargetFlags } from '../pipeline/target-options.js';
import { openProgress } from './progress.js';
import { renderReports } from './render-on-screen.js';
import { note } from './screen.js';

/**
 * Flags shared by run and list, as commander hands them over (numbers and shard already parsed);
 * each target's own flags (--accel, --ssh, …) come beside them, under the keys their plug-ins declare.
 */
export interface TargetFlags {
  config?: string;
  variant?: string;
  target?: string;
  suite: string[];
  suiteFile: string[];
  profile?: string;
  filter: string[];
  shard?: Shard;
  durations?: string;
  rocm?: string;
  sysfsRoot?: string;
  kernel?: string;
  modules?: string;
  guestWatchdog?: number;
  maxReboots?: number;
  allowEmpty?: boolean;
}

export interface RunFlags extends TargetFlags {
  out?: string;
  resume?: string;
  retries?: number;
  timeout?: number;
  runTimeout?: number;
  jobs?: number;
  isolate?: boolean;
  kernelEvents?: KernelEventPolicy;
  expectations?: string;
  reporter: string;
  repeat?: number;
  order?: TestOrder;
  history?: string;
  failFast?: number;
  baselineRun?: string;
  /** Hidden: inside a lab job, a file holding the echo nonce (read, then removed). */
  echoRecords?: string;
}

/** The flags that were given, as a typed request (nothing filled in: --resume fills in the rest). */
export function requestOf(flags: TargetFlags & Partial<RunFlags>): RunRequest {
  const given = {
    config: flags.config,
    variant: flags.variant,
    target: flags.target,
    suites: flags.suite,
    suiteFiles: flags.suiteFile,
    profile: flags.profile,
    filters: flags.filter,
    shard: flags.shard,
    durations: flags.durations,
    rocm: flags.rocm,
    sysfsRoot: flags.sysfsRoot,
    kernel: flags.kernel,
    modules: flags.modules,
    guestWatchdog: flags.guestWatchdog,
    maxReboots: flags.maxReboots,
    targetFlags: pickTargetFlags(flags as unknown as Readonly<Record<string, unknown>>),
    retries: flags.retries,
    testTimeout: flags.timeout,
    runTimeout: flags.runTimeout,
    jobs: flags.jobs,
    isolate: flags.isolate,
    kernelEvents: flags.kernelEvents,
    expectations: flags.expectations,
    allowEmpty: flags.allowEmpty,
    repeat: flags.repeat,
    order: flags.order,
    orderStore: flags.order === 'history' ? flags.history : undefined,
    failFast: flags.failFast,
    baselineRun: flags.baselineRun,
  };
  const isGiven = (v: unknown) =>
    v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
  return Object.fromEntries(Object.entries(given).filter(([, v]) => isGiven(v))) as RunRequest;
}

/** `svmtest run`: one variant on its target, then its reports and its exit code (README, "Exit codes"). */
/** The echo nonce, read once and removed before any test runs: no test can read it back. */
function takeNonce(file: string): string {
  const nonce = readFileSync(file, 'utf8').trim();
  rmSync(file, { force: true });
  if (!/^[0-9a-f]{32}$/.test(nonce)) throw new InputError(`--echo-records ${file}: expected 32 hex digits`);
  return nonce;
}

export async function runCommand(flags: RunFlags): Promise<ExitCode> {
  const progress = await openProgress();
  const interrupts = watchInterrupts(note, () => process.exit(EXIT.interrupted));
  // --repeat: a round runs on the machine the run before it used (QEMU: one boot for all).
  const machines = new KeptMachines();
  let result: Awaited<ReturnType<typeof runVariant>>;
  try {
    const echoNonce = flags.echoRecords ? takeNonce(flags.echoRecords) : undefined;
    result = await runVariant({
      request: requestOf(flags),
      ...(flags.out ? { out: flags.out } : {}),
      ...(flags.resume ? { resume: flags.resume } : {}),
      ...(echoNonce ? { echoNonce } : {}),
      progress: progress.sink,
      note,
      signal: interrupts.signal,
      now: () => new Date(),
      machines,
    });
    if (result.run.run.status === 'complete') {
      // --repeat (or the suites' repeat: rules): the timed tests again, each round a run of its own.
      const timed = await timedRounds(
        [result],
        result.request.repeat,
        (request, dir, resume, variantDir) =>
          runVariant({
            request,
            ...(resume ? { resume: dir } : { out: dir }),
            progress: progress.sink,
            note,
            signal: interrupts.signal,
            now: () => new Date(),
            machines,
            machineDir: variantDir,
          }),
        note,
      );
      result = { ...result, run: timed.interrupted ? { ...result.run, run: { ...result.run.run, status: 'interrupted' } } : timed.runs[0]! };
    }
  } finally {
    await machines.release(note);
    await progress.close();
    interrupts.dispose();
  }
  const { run, dir, request } = result;
  await renderReports({ kind: 'run', run }, flags.reporter, dir.root);
  note(`run.json and logs in ${dir.root}`);
  if (run.run.status === 'interrupted') note(`resume with: svmtest run --resume ${dir.root}`);
  return runExitCode(run, loadExpectations(request.expectations, run));
}

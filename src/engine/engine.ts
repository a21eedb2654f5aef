import { mkdirSync } from 'node:fs';
import type { Gpu, InfraProblem, RunFile, RunInfo, RunKernelEvent, RunStatus, TestResult } from '../model/run.js';
import { trace } from '../model/trace.js';
import type { Target } from '../targets/target.js';
import { assembleRun, type KernelEventPolicy } from './assemble.js';
import type { JournalRecord } from './journal.js';
import { startKernelWatch, type StartingKernelWatch } from './kernel-watch.js';
import type { PlannedSuite } from './plan.js';
import type { ProgressSink } from '../model/progress.js';
import { Recorder } from './recorder.js';
import { RegressionCounter, type FailFast } from './fail-fast.js';
import { Scheduler } from './scheduler.js';

export interface EnginePaths {
  /** The run directory: test logs are stored relative to it. */
  readonly runDir: string;
  readonly journal: string;
  readonly scratch: string;
}

export interface EngineOptions {
  readonly target: Target;
  readonly paths: EnginePaths;
  readonly info: RunInfo;
  readonly plan: readonly PlannedSuite[];
  readonly gpus: readonly Gpu[];
  readonly jobs: number;
  readonly retries: number;
  /** One process per test instead of batches. */
  readonly isolate: boolean;
  /** --timeout: seconds per test, overriding the suites'. */
  readonly testTimeout?: number;
  /** --run-timeout: seconds for the whole run. */
  readonly runTimeout?: number;
  readonly kernelEvents: KernelEventPolicy;
  readonly graceMs: number;
  readonly logCap?: number;
  /** Tests already finished in an earlier, interrupted run of the same directory (--resume). */
  readonly finished: ReadonlyMap<string, TestResult>;
  readonly earlierErrors: readonly InfraProblem[];
  /** Kernel records outside any test, from the earlier session (--resume). */
  readonly earlierOutside?: readonly RunKernelEvent[];
  /** Set when resuming: the journal already starts with this run's record. */
  readonly resumed: boolean;
  readonly progress: ProgressSink;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** Told each journal record as it is written (a run inside a lab job echoes them to its console). */
  readonly mirror?: (line: string, record: JournalRecord) => void;
  /** --fail-fast: stop after this many regressions against the baseline run. */
  readonly failFast?: FailFast;
  /** The target's kernel log, followed since before the plan (else from here). */
  readonly kernelWatch?: StartingKernelWatch;
}

export interface EngineResult {
  readonly run: RunFile;
  /** Results could not be saved (disk full): the run stopped; what the journal holds is intact. */
  readonly storageFailure?: Error;
}

/** Runs the planned suites through the target, journaling every test as it finishes. */
export async function runEngine(options: EngineOptions): Promise<EngineResult> {
  const { target, paths, progress } = options;
  mkdirSync(paths.scratch, { recursive: true });
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  // A Ctrl-C during start-up or listing already fired: no test may start after it.
  if (options.signal.aborted) stop.abort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  const deadline = options.runTimeout ? setTimeout(() => stop.abort(), options.runTimeout * 1000) : undefined;
  const regressions = options.failFast ? new RegressionCounter(options.failFast, options.retries + 1) : undefined;
  let failedFast = false;

  const recorder = new Recorder({
    journalFile: paths.journal,
    runDir: paths.runDir,
    ...(options.logCap !== undefined ? { logCap: options.logCap } : {}),
    finished: options.finished,
    earlierErrors: options.earlierErrors,
    ...(options.earlierOutside ? { earlierOutside: options.earlierOutside } : {}),
    progress,
    ...(options.mirror ? { mirror: options.mirror } : {}),
    ...(regressions
      ? {
          onResult: (test: TestResult, attempt: number) => {
            if (!regressions.add(test, attempt) || stop.signal.aborted) return;
            failedFast = true;
            progress.note(`--fail-fast: ${options.failFast!.limit} regression(s) against the baseline; stopping the run`);
            stop.abort();
          },
        }
      : {}),
    onStorageFailure: (error) => {
      progress.note(`stopping the run: ${error.message}`);
      stop.abort();
    },
  });
  const planned = options.plan.flatMap((p) => p.tests.map((t) => ({ suite: p.suite.definition.name, name: t.name })));
  recorder.startRun(options.info, options.resumed, planned);
  const { watch: kernel, started } = options.kernelWatch ?? startKernelWatch(target);
  kernel.connect({
    events: (id, events) => recorder.kernelEvents(id, events),
    outside: (context, events) => recorder.outsideEvents(context, events),
    claimed: (id, events) => recorder.claimOutside(id, events),
    moved: (from, to, events) => recorder.moveEvents(from, to, events),
  });
  const kernelNote = await started;
  trace('kernel log followed');
  if (kernelNote) progress.note(kernelNote);

  const scheduler = new Scheduler(
    {
      target,
      gpus: options.gpus,
      jobs: options.jobs,
      retries: options.retries,
      isolate: options.isolate,
      ...(options.testTimeout !== undefined ? { testTimeout: options.testTimeout } : {}),
      graceMs: options.graceMs,
      scratch: paths.scratch,
      progress,
      signal: stop.signal,
    },
    recorder,
    kernel,
  );
  try {
    await scheduler.run(options.plan);
    trace('tests done');
  } finally {
    if (deadline) clearTimeout(deadline);
    options.signal.removeEventListener('abort', onAbort);
    await kernel.stop();
    trace('kernel log stopped');
  }

  const storageFailure = recorder.storageFailure;
  const fatal = target.fatal?.();
  let status: RunStatus = 'complete';
  if (options.signal.aborted) status = 'interrupted';
  else if (storageFailure) status = 'incomplete';
  else if (fatal) {
    status = 'incomplete';
    recorder.error({ stage: 'boot', message: fatal });
  } else if (failedFast) {
    // Stopped on purpose, with the answer asked for: complete, and every report says what did not run.
  } else if (stop.signal.aborted) {
    status = 'incomplete';
    recorder.error({ stage: 'run', message: `the run exceeded --run-timeout ${options.runTimeout} s; tests not started are notrun` });
  }
  recorder.close();
  // Everything planned but never finished is notrun in run.json (the journal keeps only what ran, so --resume runs them).
  const tests = recorder.collect(
    planned,
    status === 'interrupted' ? 'the run was interrupted' : failedFast ? 'not run: --fail-fast stopped the run' : 'the run ended before this test',
  );
  const attribution = kernel.attribution;
  const notRun = tests.filter((t) => t.status === 'notrun' && t.attempts.length === 0).length;
  for (const problem of kernel.problems) progress.note(`WARNING: ${problem}`);
  const extraWarnings = [...(failedFast && regressions ? [regressions.warning(notRun)] : []), ...kernel.problems];
  const targetNotes = target.notes?.() ?? [];
  for (const note of targetNotes) progress.note(note);
  const noted = targetNotes.length > 0 ? { ...options.info, notes: targetNotes } : options.info;
  const warned = extraWarnings.length > 0 ? { ...noted, warnings: [...(options.info.warnings ?? []), ...extraWarnings] } : noted;
  const info = attribution ? { ...warned, kernelAttribution: attribution } : warned;
  const run = assembleRun(info, tests, recorder.errors, status, options.now(), options.kernelEvents, recorder.outside);
  return storageFailure ? { run, storageFailure } : { run };
}

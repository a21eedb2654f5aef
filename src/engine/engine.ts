import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelEvent } from '../model/kernel-event.js';
import { testId, type Gpu, type InfraProblem, type RunFile, type RunInfo, type RunStatus, type TestResult } from '../model/run.js';
import { isFailing, type Status } from '../model/status.js';
import type { ParsedTest } from '../parsers/types.js';
import type { WorkerSlot } from '../suites/adapter.js';
import { timeoutFor } from '../suites/definition.js';
import { expand } from '../suites/resolve.js';
import type { Target } from '../targets/target.js';
import { assembleRun, type KernelEventPolicy } from './assemble.js';
import { runBatch } from './batch.js';
import { Journal } from './journal.js';
import { KernelWatch } from './kernel-watch.js';
import type { PlannedSuite } from './plan.js';
import type { ProgressSink } from './progress.js';
import { TestLogs, type TestLog } from './test-logs.js';

export interface EngineOptions {
  readonly target: Target;
  readonly runDir: string;
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
  readonly progress: ProgressSink;
  readonly signal: AbortSignal;
  readonly now: () => Date;
}

interface Live {
  log?: TestLog;
  logPath?: string;
  events: KernelEvent[];
  skipMatched: boolean;
  started: number;
}

function slotsFor(planned: PlannedSuite, gpus: readonly Gpu[], jobs: number): WorkerSlot[] {
  const gpu = planned.suite.definition.gpu;
  if (gpus.length === 0) return [{ index: 0, env: {}, args: [] }];
  return gpus.slice(0, Math.max(1, jobs)).map((g, index) => {
    const values = { node: String(g.node), index: String(index), gfx: g.gfx };
    return {
      index,
      node: g.node,
      env: Object.fromEntries(Object.entries(gpu.env).map(([k, v]) => [k, expand(v, values)])),
      args: gpu.args.map((a) => expand(a, values)),
    };
  });
}

/** Round-robin chunks so parallel workers get similar work; one chunk per worker keeps batches big. */
function partition(names: readonly string[], parts: number, isolate: boolean): string[][] {
  if (isolate) return names.map((n) => [n]);
  if (parts <= 1) return names.length > 0 ? [[...names]] : [];
  const chunks: string[][] = Array.from({ length: parts * 2 }, () => []);
  names.forEach((n, i) => chunks[i % chunks.length]!.push(n));
  return chunks.filter((c) => c.length > 0);
}

/** Runs the planned suites through the target, journaling every test as it finishes. */
export async function runEngine(options: EngineOptions): Promise<RunFile> {
  const { target, runDir, progress } = options;
  mkdirSync(runDir, { recursive: true });
  const scratch = join(runDir, 'tmp');
  mkdirSync(scratch, { recursive: true });
  const journal = new Journal(join(runDir, 'journal.jsonl'));
  if (options.finished.size === 0 && options.earlierErrors.length === 0) journal.append({ type: 'run', run: options.info });
  const logs = new TestLogs(runDir, options.logCap);
  const results = new Map<string, TestResult>(options.finished);
  const errors: InfraProblem[] = [...options.earlierErrors];
  const live = new Map<string, Live>();
  const deadline = options.runTimeout ? Date.now() + options.runTimeout * 1000 : undefined;
  const runAbort = new AbortController();
  const onAbort = () => runAbort.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  const deadlineTimer = deadline ? setTimeout(() => runAbort.abort(), deadline - Date.now()) : undefined;

  const kernel = new KernelWatch(target, (key, events) => {
    const current = live.get(key);
    if (current) current.events.push(...events);
    else {
      const [suite, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
      journal.append({ type: 'events', suite, name, events });
      const done = results.get(key);
      if (done) results.set(key, { ...done, kernelEvents: [...done.kernelEvents, ...events] });
    }
  });
  const t0 = performance.now();
  const trace = (label: string) => process.env.SVMTEST_TRACE && progress.note(`trace: engine ${label} at ${Math.round(performance.now() - t0)} ms`);
  const kernelNote = await kernel.start();
  trace('kernel log followed');
  if (kernelNote) progress.note(kernelNote);

  const recordError = (error: InfraProblem) => {
    errors.push(error);
    journal.append({ type: 'error', error });
  };

  const record = (planned: PlannedSuite, name: string, parsed: ParsedTest, attempt: number) => {
    const suite = planned.suite.definition.name;
    const id = testId({ suite, name });
    const state = live.get(id);
    live.delete(id);
    state?.log?.close();
    let logPath = state?.log?.hasContent ? state.logPath : undefined;
    if (!logPath && parsed.output) {
      const opened = logs.open(suite, name, attempt);
      for (const line of parsed.output.split('\n')) opened.log.write(line);
      opened.log.close();
      logPath = opened.path;
    }
    let status: Status = parsed.status;
    let message = parsed.message;
    if (status === 'pass' && state?.skipMatched) {
      status = 'skip';
      message = `output matched ${planned.suite.definition.skipRegex}`;
    }
    const durationMs = parsed.durationMs ?? Math.round(performance.now() - (state?.started ?? performance.now()));
    const previous = attempt > 1 ? results.get(id) : undefined;
    const attempts = [...(previous?.attempts ?? []), { status, durationMs, ...(message !== undefined ? { message } : {}) }];
    const test: TestResult = {
      suite,
      name,
      status,
      durationMs: (previous?.durationMs ?? 0) + durationMs,
      attempts,
      ...(message !== undefined ? { message } : {}),
      kernelEvents: [...(previous?.kernelEvents ?? []), ...(state?.events ?? [])],
      ...(logPath ? { log: logPath } : {}),
    };
    results.set(id, test);
    journal.append({ type: 'test', test });
    progress.testEnd(suite, name, status, durationMs, attempt);
  };

  const execute = async (planned: PlannedSuite, names: readonly string[], slot: WorkerSlot, attempt: number) => {
    const definition = planned.suite.definition;
    const skipRegex = definition.skipRegex ? new RegExp(definition.skipRegex) : undefined;
    await runBatch(target, planned, names, slot, {
      timeoutFor: (name) => timeoutFor(definition, name, options.testTimeout),
      started(name) {
        const id = testId({ suite: definition.name, name });
        const opened = logs.open(definition.name, name, attempt);
        live.set(id, { log: opened.log, logPath: opened.path, events: [], skipMatched: false, started: performance.now() });
        kernel.begin(id);
        progress.testStart(definition.name, name);
      },
      output(name, line) {
        const state = live.get(testId({ suite: definition.name, name }));
        if (!state) return;
        state.log?.write(line);
        if (skipRegex?.test(line)) state.skipMatched = true;
      },
      finished(name, result) {
        const id = testId({ suite: definition.name, name });
        kernel.finish(id);
        if (!live.has(id)) live.set(id, { events: [], skipMatched: false, started: performance.now() });
        record(planned, name, result, attempt);
      },
      failedToRun(failed, why) {
        if (target.fatal?.()) return; // the guest is gone for good: these stay unrun (resumable)
        recordError({ stage: 'run', suite: definition.name, message: why });
        for (const name of failed) record(planned, name, { name, status: 'notrun', message: why }, attempt);
      },
      signal: runAbort.signal,
      graceMs: options.graceMs,
      scratch,
    });
  };

  try {
    for (const planned of options.plan) {
      const suite = planned.suite.definition.name;
      const toRun: string[] = [];
      for (const test of planned.tests) {
        const id = testId({ suite, name: test.name });
        if (results.has(id)) continue; // finished before an interruption: never run twice
        if (test.action === 'run') toRun.push(test.name);
        else {
          const status: Status = test.action;
          const t: TestResult = { suite, name: test.name, status, durationMs: 0, attempts: [{ status, durationMs: 0 }], ...(test.reason ? { message: test.reason } : {}), kernelEvents: [] };
          results.set(id, t);
          journal.append({ type: 'test', test: t });
        }
      }
      progress.suiteStart(suite, toRun.length);
      const slots = slotsFor(planned, options.gpus, options.jobs);
      const queue = partition(toRun, slots.length, options.isolate || planned.suite.definition.isolate);
      await Promise.all(
        slots.map(async (slot) => {
          for (let chunk = queue.shift(); chunk && !runAbort.signal.aborted; chunk = queue.shift()) {
            if (target.fatal?.()) break;
            await execute(planned, chunk, slot, 1);
          }
        }),
      );
      // Retries: each failing test again in its own process, until it passes or runs out of tries.
      for (let attempt = 2; attempt <= options.retries + 1 && !runAbort.signal.aborted; attempt++) {
        const again = toRun.filter((name) => {
          const r = results.get(testId({ suite, name }));
          return r !== undefined && isFailing(r.status);
        });
        for (const name of again) {
          if (runAbort.signal.aborted || target.fatal?.()) break;
          await execute(planned, [name], slots[0]!, attempt);
        }
      }
      progress.suiteEnd(suite);
      if (runAbort.signal.aborted || target.fatal?.()) break;
    }
  } finally {
    trace('suites done');
    if (deadlineTimer) clearTimeout(deadlineTimer);
    options.signal.removeEventListener('abort', onAbort);
    await kernel.stop();
    trace('kernel log stopped');
  }

  let status: RunStatus = 'complete';
  const fatal = target.fatal?.();
  if (options.signal.aborted) status = 'interrupted';
  else if (fatal) {
    status = 'incomplete';
    recordError({ stage: 'boot', message: fatal });
  }
  else if (runAbort.signal.aborted) {
    status = 'incomplete';
    recordError({ stage: 'run', message: `the run exceeded --run-timeout ${options.runTimeout} s; tests not started are notrun` });
  }
  journal.close();
  // Everything planned but never finished is notrun in run.json (the journal keeps only what ran, so --resume runs them).
  const all: TestResult[] = [];
  for (const planned of options.plan) {
    const suite = planned.suite.definition.name;
    for (const test of planned.tests) {
      const id = testId({ suite, name: test.name });
      all.push(results.get(id) ?? { suite, name: test.name, status: 'notrun', durationMs: 0, attempts: [], message: status === 'interrupted' ? 'the run was interrupted' : 'the run ended before this test', kernelEvents: [] });
      results.delete(id);
    }
  }
  all.push(...results.values()); // finished earlier but no longer planned (a resume with other options)
  return assembleRun(options.info, all, errors, status, options.now(), options.kernelEvents);
}

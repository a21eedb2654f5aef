import { testId, type Gpu } from '../model/run.js';
import { isFailing } from '../model/status.js';
import type { WorkerSlot } from '../suites/adapter.js';
import { timeoutFor } from '../suites/definition.js';
import { expand } from '../suites/resolve.js';
import type { Target } from '../targets/target.js';
import { runBatch } from './batch.js';
import type { KernelWatch } from './kernel-watch.js';
import type { PlannedSuite } from './plan.js';
import type { ProgressSink } from '../model/progress.js';
import type { Recorder } from './recorder.js';

export interface SchedulerOptions {
  readonly target: Target;
  readonly gpus: readonly Gpu[];
  readonly jobs: number;
  readonly retries: number;
  /** One process per test instead of batches. */
  readonly isolate: boolean;
  /** --timeout: seconds per test, overriding the suites'. */
  readonly testTimeout?: number;
  readonly graceMs: number;
  /** Where adapters keep per-batch files (ctest's JUnit). */
  readonly scratch: string;
  readonly progress: ProgressSink;
  /** Aborted on Ctrl-C, at the run deadline or when results can no longer be saved. */
  readonly signal: AbortSignal;
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
  for (const [i, n] of names.entries()) chunks[i % chunks.length]!.push(n);
  return chunks.filter((c) => c.length > 0);
}

/**
 * Decides what runs when and where: each suite's tests in batches over one worker per GPU, then
 * each failing test again in its own process until it passes or runs out of retries.
 */
export class Scheduler {
  constructor(
    private readonly options: SchedulerOptions,
    private readonly recorder: Recorder,
    private readonly kernel: KernelWatch,
  ) {}

  private stopped(): boolean {
    return this.options.signal.aborted || this.options.target.fatal?.() !== undefined;
  }

  async run(plan: readonly PlannedSuite[]): Promise<void> {
    for (const planned of plan) {
      await this.runSuite(planned);
      if (this.stopped()) break;
    }
  }

  private async runSuite(planned: PlannedSuite): Promise<void> {
    const suite = planned.suite.definition.name;
    const toRun: string[] = [];
    const groups = new Map<number, string[]>();
    for (const test of planned.tests) {
      if (this.recorder.has(testId({ suite, name: test.name }))) continue; // finished before an interruption: never run twice
      if (test.action === 'run') {
        toRun.push(test.name);
        const group = groups.get(test.group ?? 0);
        if (group) group.push(test.name);
        else groups.set(test.group ?? 0, [test.name]);
      } else this.recorder.planned(suite, test.name, test.action, test.reason);
    }
    const { progress, gpus, jobs, isolate } = this.options;
    progress.suiteStart(suite, toRun.length);
    const slots = slotsFor(planned, gpus, jobs);
    // A batch runs its tests in the binary's order: with --order history each group gets batches of its own, first group first.
    const queue = [...groups.keys()]
      .sort((a, b) => a - b)
      .flatMap((group) => partition(groups.get(group)!, slots.length, isolate || planned.suite.definition.isolate));
    await Promise.all(
      slots.map(async (slot) => {
        for (let chunk = queue.shift(); chunk && !this.stopped(); chunk = queue.shift()) await this.execute(planned, chunk, slot, 1);
      }),
    );
    for (let attempt = 2; attempt <= this.options.retries + 1 && !this.stopped(); attempt++) {
      const again = toRun.filter((name) => {
        const r = this.recorder.result(testId({ suite, name }));
        return r !== undefined && isFailing(r.status);
      });
      for (const name of again) {
        if (this.stopped()) break;
        await this.execute(planned, [name], slots[0]!, attempt);
      }
    }
    progress.suiteEnd(suite);
  }

  private async execute(planned: PlannedSuite, names: readonly string[], slot: WorkerSlot, attempt: number): Promise<void> {
    const { target, testTimeout, graceMs, scratch, signal } = this.options;
    const definition = planned.suite.definition;
    const suite = definition.name;
    const skipRegex = definition.skipRegex ? new RegExp(definition.skipRegex) : undefined;
    const recorder = this.recorder;
    const kernel = this.kernel;
    // Where the target can, it marks tests in its kernel log itself, as the framework reports them.
    const channelMarks =
      planned.resultSource === 'channel' && target.marksFromChannel && kernel.attribution === 'markers' ? { secret: kernel.secret, suite } : undefined;
    await runBatch(target, planned, names, slot, {
      timeoutFor: (name) => timeoutFor(definition, name, testTimeout),
      onStart(name) {
        recorder.begin(suite, name, attempt, skipRegex, definition.metrics);
        kernel.begin(testId({ suite, name }), channelMarks !== undefined);
      },
      onEnded: (name) => kernel.finish(testId({ suite, name }), true),
      processOf: (pid, name) => kernel.claim(pid, testId({ suite, name })),
      onContradiction(result, why) {
        // The stricter result, journaled again (the last record of a test wins on replay), and an error that says so.
        recorder.correct(suite, result.name, result);
        recorder.error({ stage: 'results', suite, message: why });
      },
      onOutput: (line, name) => recorder.output(suite, name, line),
      onResult(result) {
        kernel.finish(testId({ suite, name: result.name }));
        recorder.finish(suite, result.name, result, attempt, definition.metrics);
      },
      failedToRun(failed, why) {
        if (target.fatal?.()) return; // the guest is gone for good: these stay unrun (resumable)
        recorder.error({ stage: 'run', suite, message: why });
        for (const name of failed) recorder.finish(suite, name, { name, status: 'notrun', message: why }, attempt);
      },
      note: (message) => this.options.progress.note(message),
      signal,
      graceMs,
      scratch,
      ...(channelMarks ? { channelMarks } : {}),
    });
  }
}

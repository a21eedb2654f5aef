import type { ParsedTest, TestListener } from '../parsers/types.js';
import type { Status } from '../model/status.js';
import type { PlannedSuite } from './plan.js';
import type { WorkerSlot } from '../suites/adapter.js';
import { describeExit, type Target } from '../targets/target.js';

/** The test events of a batch (a result: by the test's own report, or svmtest's judgement: crash, timeout), and its supervision. */
export interface BatchHooks extends TestListener {
  /** Seconds this test may take. */
  timeoutFor(name: string): number;
  /** The binary could not run these tests at all. */
  failedToRun(names: readonly string[], why: string): void;
  readonly signal: AbortSignal;
  readonly graceMs: number;
  readonly scratch: string;
}

const MAX_FRUITLESS_SPAWNS = 2;

function chunkByChars(names: readonly string[], maxChars: number): string[] {
  const chunk: string[] = [];
  let size = 0;
  for (const name of names) {
    if (chunk.length > 0 && size + name.length + 1 > maxChars) break;
    chunk.push(name);
    size += name.length + 1;
  }
  return chunk;
}

/**
 * Runs tests in as few processes as possible: one process for the batch; when it dies mid-test
 * (crash) or is killed (timeout), that test gets its verdict and a new process continues with
 * the tests not yet finished — never re-running finished ones.
 */
export async function runBatch(target: Target, planned: PlannedSuite, names: readonly string[], slot: WorkerSlot, hooks: BatchHooks): Promise<void> {
  const remaining = new Set(names);
  let fruitless = 0;
  while (remaining.size > 0 && !hooks.signal.aborted) {
    const batch = chunkByChars([...remaining], planned.adapter.maxBatchChars);
    const wanted = new Set(batch);
    const prepared = planned.adapter.prepareBatch(planned.suite, batch, slot, hooks.scratch);
    let open: string | undefined;
    let openSince = 0;
    let timer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let timedOut: string | undefined;
    let interrupted = false;
    let finishedHere = 0;
    const lastLines: string[] = [];

    const finish = (name: string, result: ParsedTest) => {
      if (!remaining.has(name)) return;
      if (timer) clearTimeout(timer);
      remaining.delete(name);
      finishedHere++;
      if (open === name) open = undefined;
      hooks.onResult(result);
    };

    const stream = prepared.stream(target, {
      onStart(name) {
        if (!wanted.has(name) || !remaining.has(name)) return;
        open = name;
        openSince = performance.now();
        hooks.onStart(name);
        if (timer) clearTimeout(timer);
        const seconds = hooks.timeoutFor(name);
        timer = setTimeout(() => {
          timedOut = name;
          running.kill('SIGTERM');
          killTimer = setTimeout(() => running.kill('SIGKILL'), hooks.graceMs);
        }, seconds * 1000);
      },
      onOutput(line) {
        if (open !== undefined) hooks.onOutput(line, open);
      },
      onResult(test) {
        if (!wanted.has(test.name)) return; // a name we did not ask for is output, not a result
        if (timedOut === test.name) return; // svmtest's verdict stands
        finish(test.name, test);
      },
    });

    const running = target.spawn(prepared.spec, {
      onLine(which, line) {
        lastLines.push(line);
        if (lastLines.length > 20) lastLines.shift();
        stream.push(which, line);
      },
    });
    const onAbort = () => {
      interrupted = true;
      running.kill('SIGTERM');
      killTimer = setTimeout(() => running.kill('SIGKILL'), hooks.graceMs);
    };
    hooks.signal.addEventListener('abort', onAbort, { once: true });
    const exit = await running.done;
    hooks.signal.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
    if (timedOut && remaining.has(timedOut)) {
      const seconds = hooks.timeoutFor(timedOut);
      finish(timedOut, {
        name: timedOut,
        status: 'timeout',
        durationMs: Math.round(performance.now() - openSince),
        message: `killed by svmtest after ${seconds} s (timeout)`,
      });
    }
    if (interrupted) return;
    await stream.end(exit);
    // ctest's stream reports results only at the end: a test it left open died with ctest itself.
    const leftOpen = stream.current ?? open;
    if (leftOpen && remaining.has(leftOpen)) {
      const status: Status = 'crash';
      const how = describeExit(exit);
      finish(leftOpen, { name: leftOpen, status, durationMs: Math.round(performance.now() - openSince), message: `the test process ${how} during this test` });
    }
    if (finishedHere === 0) {
      fruitless++;
      if (fruitless >= MAX_FRUITLESS_SPAWNS || exit.exitCode === 127) {
        const how = describeExit(exit);
        hooks.failedToRun([...remaining], `${prepared.spec.argv[0]} ${how} without running these tests: ${lastLines.slice(-3).join(' | ')}`);
        return;
      }
    } else {
      fruitless = 0;
    }
  }
}

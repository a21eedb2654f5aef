import type { ParsedTest } from '../parsers/types.js';
import type { WorkerSlot } from '../suites/adapter.js';
import { describeExit, type ExitInfo, type Target } from '../targets/target.js';
import type { BatchHooks } from './batch-hooks.js';
import type { PlannedSuite } from './plan.js';

// Console lines held until the channel starts their test: enough for any test's first burst.
const EARLY_LINES = 10_000;

export interface ProcessOutcome {
  readonly exit: ExitInfo;
  /** Tests that got a result in this process. */
  readonly finished: number;
  /** The test the process died during (its result not yet given to the hooks). */
  readonly diedDuring?: { readonly name: string; readonly result: ParsedTest };
  readonly interrupted: boolean;
  readonly lastLines: readonly string[];
  /** The last test that got its result in this process. */
  readonly lastFinished?: string;
}

/**
 * One process of the suite's binary for some of its tests: results go to the hooks as they come;
 * a timeout kills the process group (SIGTERM, then SIGKILL after the grace). A test the process
 * died during is handed back, not reported, so the caller can decide what it means.
 */
export async function runProcess(
  target: Target,
  planned: PlannedSuite,
  batch: readonly string[],
  slot: WorkerSlot,
  hooks: BatchHooks,
  finish: (name: string, result: ParsedTest) => boolean,
  /** A test already started in an earlier process (run again alone): its start is not reported twice. */
  rerun?: string,
): Promise<ProcessOutcome> {
  const wanted = new Set(batch);
  const prepared = planned.adapter.prepareBatch(planned.suite, batch, slot, hooks.scratch, planned.resultSource, target);
  // A test alone in its process is judged by the process's end too: its result waits for it.
  const alone = batch.length === 1;
  let held: { name: string; result: ParsedTest } | undefined;
  let lastFinished: string | undefined;
  let open: string | undefined;
  let openSince = 0;
  let timer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let timedOut: string | undefined;
  let interrupted = false;
  let ending = false;
  let exit: ExitInfo = { exitCode: null, signal: null };
  let diedDuring: ProcessOutcome['diedDuring'];
  let finished = 0;
  const lastLines: string[] = [];
  const early: Array<{ line: string; name: string }> = [];
  const done = (name: string, result: ParsedTest) => {
    if (alone && !ending) {
      // Its timeout keeps running: a process that hangs after its test ended is still stopped.
      held = { name, result };
      return;
    }
    if (timer) clearTimeout(timer);
    if (open === name) open = undefined;
    if (finish(name, result)) {
      finished++;
      lastFinished = name;
    }
  };
  const stop = () => {
    running.kill('SIGTERM');
    killTimer = setTimeout(() => running.kill('SIGKILL'), hooks.graceMs);
  };

  const stream = prepared.stream(target, {
    onStart(name) {
      if (!wanted.has(name)) return;
      open = name;
      openSince = performance.now();
      if (name !== rerun) hooks.onStart(name);
      // Its own held lines only: the console may be ahead by more than one test.
      const others = early.filter((held) => held.name !== name);
      for (const held of early) if (held.name === name) hooks.onOutput(held.line, name);
      early.splice(0, early.length, ...others);
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = name;
        stop();
      }, hooks.timeoutFor(name) * 1000);
    },
    onOutput(line, name) {
      // While the channel has a test open, the line is that test's (the console's own idea of the
      // test comes from lines a test can print). Else the console ran ahead of the channel (two
      // pipes, no order between them): the line waits for its test's start event, and goes to the
      // log of that test only.
      if (open !== undefined) hooks.onOutput(line, open);
      else if (wanted.has(name) && early.length < EARLY_LINES) early.push({ line, name });
    },
    onEnded(name) {
      if (wanted.has(name)) hooks.onEnded?.(name);
    },
    onContradiction(test, why) {
      if (wanted.has(test.name)) hooks.onContradiction?.(test, why);
    },
    onResult(test) {
      if (!wanted.has(test.name) || timedOut === test.name || held?.name === test.name) return; // not asked for: output; timed out: svmtest's verdict stands
      // The stream closes the test a killed process left open as a crash: handed back to the caller.
      if (ending && test.status === 'crash' && exit.signal !== null) diedDuring = { name: test.name, result: test };
      else done(test.name, test);
    },
  });
  const spec = prepared.spec.resultChannel && hooks.channelMarks ? { ...prepared.spec, marks: hooks.channelMarks } : prepared.spec;
  const running = target.spawn(spec, {
    onLine(which, line) {
      lastLines.push(line);
      if (lastLines.length > 20) lastLines.shift();
      stream.push(which, line);
    },
    onChannel: (line) => stream.channel?.(line),
  });
  const onAbort = () => {
    interrupted = true;
    stop();
  };
  hooks.signal.addEventListener('abort', onAbort, { once: true });
  exit = await running.done;
  hooks.signal.removeEventListener('abort', onAbort);
  if (timer) clearTimeout(timer);
  if (killTimer) clearTimeout(killTimer);
  const elapsed = () => Math.round(performance.now() - openSince);
  if (timedOut)
    done(timedOut, { name: timedOut, status: 'timeout', durationMs: elapsed(), message: `killed by svmtest after ${hooks.timeoutFor(timedOut)} s (timeout)` });
  ending = true;
  if (held) {
    // Alone in its process, a test whose process then died by a signal crashed, whatever was reported before.
    const { name, result } = held;
    held = undefined;
    if (exit.signal !== null && !interrupted && result.status !== 'timeout')
      diedDuring = {
        name,
        result: {
          ...result,
          status: 'crash',
          message: `the test process ${describeExit(exit)} after the test reported ${result.status}${result.message ? `\n${result.message}` : ''}`,
        },
      };
    else done(name, result);
  }
  if (interrupted) return { exit, finished, interrupted, lastLines };
  await stream.end(exit);
  // ctest's stream reports results only at the end: a test it left open died with ctest itself.
  // (A test that timed out has its verdict: the kill was svmtest's, not a crash to run again alone.)
  const leftOpen = diedDuring ? undefined : (stream.current ?? open);
  if (leftOpen && wanted.has(leftOpen) && leftOpen !== timedOut) {
    diedDuring = {
      name: leftOpen,
      result: { name: leftOpen, status: 'crash', durationMs: elapsed(), message: `the test process ${describeExit(exit)} during this test` },
    };
  }
  // The process's own kernel records (its fault, by its pid) belong to the test it ran alone or died during.
  const owner = diedDuring?.name ?? (alone && finished > 0 ? batch[0] : undefined);
  if (owner !== undefined && exit.pid !== undefined) hooks.processOf?.(exit.pid, owner);
  return { exit, finished, interrupted, lastLines, ...(lastFinished ? { lastFinished } : {}), ...(diedDuring ? { diedDuring } : {}) };
}

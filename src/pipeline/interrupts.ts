import { processReaper } from '../targets/reaper.js';

export interface Interrupts {
  /** Aborted at the first Ctrl-C (or SIGTERM): stop the running test, keep what was recorded. */
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Ctrl-C once: the running tests get SIGTERM and the run writes its results. Twice: every test
 * group is killed at once — the results are still written. Three times: `giveUp` (the CLI exits;
 * the reaper still kills what is left).
 */
export function watchInterrupts(note: (message: string) => void, giveUp: () => void): Interrupts {
  const controller = new AbortController();
  let count = 0;
  const onSignal = () => {
    count++;
    if (count === 1) {
      note('interrupted: stopping the running test and writing run.json (Ctrl-C again to kill the tests at once)');
      controller.abort();
    } else if (count === 2) {
      note('interrupted again: killing every running test; run.json is still written (Ctrl-C again to quit at once)');
      processReaper.killAll('SIGKILL');
    } else giveUp();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

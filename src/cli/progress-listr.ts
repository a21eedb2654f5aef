import { Listr } from 'listr2';
import type { ProgressSink } from '../model/progress.js';
import { counts, type SuiteState } from './progress-counts.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import { note } from './screen.js';

/** listr2 in a terminal: one task per suite with passed/failed/remaining and an ETA. */
export function terminalProgress(): { sink: ProgressSink; close: () => Promise<void> } {
  const suites = new Map<string, SuiteState>();
  const pending: Array<{ name: string; state: SuiteState }> = [];
  let wake: (() => void) | undefined;
  let closed = false;
  // Suites start one after another: each gets its own listr2 task, rendered while it runs.
  const rendering = (async () => {
    for (;;) {
      const next = pending.shift();
      if (!next) {
        if (closed) return;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const { name, state } = next;
      await new Listr([
        {
          title: counts(name, state),
          task: (_ctx, task) =>
            new Promise<void>((resolve) => {
              state.update = (title) => (task.title = title);
              state.finish = resolve;
              if (state.ended) resolve();
            }),
        },
      ]).run();
    }
  })();
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    close: async () => {
      closed = true;
      poke();
      await rendering;
    },
    sink: {
      suiteStart(suite, total) {
        const state: SuiteState = { total, done: 0, failed: 0, started: performance.now() };
        suites.set(suite, state);
        pending.push({ name: suite, state });
        poke();
      },
      testStart(suite, name) {
        const s = suites.get(suite);
        if (s) s.update?.(`${counts(suite, s)} — ${neutralizeLine(name)}`);
      },
      testEnd(suite, _name, status, _ms, attempt) {
        const s = suites.get(suite);
        if (!s || attempt > 1) return;
        s.done++;
        if (status !== 'pass' && status !== 'skip') s.failed++;
        s.update?.(counts(suite, s));
      },
      suiteEnd(suite) {
        const s = suites.get(suite);
        if (!s) return;
        s.ended = true;
        s.update?.(counts(suite, s));
        s.finish?.();
      },
      note,
    },
  };
}

import type { ProgressSink } from '../model/progress.js';
import type { Status } from '../model/status.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import { formatDuration } from '../reporters/view.js';
import { note } from './screen.js';

export interface Progress {
  readonly sink: ProgressSink;
  close(): Promise<void>;
}

/** One suite's progress, shown the same way by the terminal (listr2) and the plain CI lines. */
export interface SuiteState {
  total: number;
  done: number;
  failed: number;
  started: number;
  ended?: boolean;
  finish?: () => void;
  update?: (title: string) => void;
}

export function counts(name: string, s: SuiteState): string {
  const elapsed = performance.now() - s.started;
  const eta = s.done > 0 && s.done < s.total ? `, ETA ${formatDuration(Math.round((elapsed / s.done) * (s.total - s.done)))}` : '';
  return `${name}: ${s.done}/${s.total} done, ${s.failed} failed, ${s.total - s.done} remaining${eta}`;
}

/** Plain lines for CI logs and pipes: one per finished test that did not pass, one per suite. */
export function plainProgress(write: (line: string) => void): ProgressSink {
  const suites = new Map<string, SuiteState>();
  return {
    suiteStart(suite, total) {
      suites.set(suite, { total, done: 0, failed: 0, started: performance.now() });
      write(`[${suite}] ${total} tests to run`);
    },
    testStart() {},
    testEnd(suite, name, status: Status, durationMs, attempt) {
      const s = suites.get(suite);
      if (!s) return;
      if (attempt > 1) {
        write(`[${suite}] retry ${attempt - 1}: ${status.toUpperCase()} ${neutralizeLine(name)} (${formatDuration(durationMs)})`);
        return;
      }
      s.done++;
      if (status !== 'pass' && status !== 'skip') s.failed++;
      if (status !== 'pass') write(`[${suite}] ${status.toUpperCase()} ${neutralizeLine(name)} (${formatDuration(durationMs)}) — ${s.done}/${s.total}`);
      else if (s.done % 100 === 0) write(`[${suite}] ${s.done}/${s.total} done`);
    },
    suiteEnd(suite) {
      const s = suites.get(suite);
      if (s) write(`[${suite}] ${counts(suite, s)} in ${formatDuration(Math.round(performance.now() - s.started))}`);
    },
    note: (message) => write(message),
  };
}

/** listr2 in a terminal: one task per suite with passed/failed/remaining and an ETA. */
async function terminalProgress(): Promise<Progress> {
  // listr2 loads only in a terminal: CI logs and pipes never pay for it.
  const { Listr } = await import('listr2');
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
      await new Listr(
        [
          {
            title: counts(name, state),
            task: (_ctx, task) =>
              new Promise<void>((resolve) => {
                state.update = (title) => (task.title = title);
                state.finish = resolve;
                if (state.ended) resolve();
              }),
          },
          // svmtest owns Ctrl-C (interrupts.ts): listr2's own handler would exit 127 without run.json.
        ],
        { registerSignalListeners: false },
      ).run();
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

/** listr2 in a terminal; plain lines in CI logs and pipes (no spinners there). */
export async function openProgress(): Promise<Progress> {
  // A terminal that reports no width (`script -qc`, some serial consoles) gets plain lines too:
  // listr2 would wrap every character onto its own line.
  if (process.stderr.isTTY === true && !process.env.CI && (process.stderr.columns ?? 0) > 0) return terminalProgress();
  return { sink: plainProgress(note), close: async () => undefined };
}

import type { ProgressSink } from '../model/progress.js';
import type { Status } from '../model/status.js';
import { counts, type SuiteState } from './progress-counts.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import { formatDuration } from '../reporters/view.js';
import { note } from './screen.js';

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

/** listr2 in a terminal; plain lines in CI logs and pipes (no spinners there). */
export async function openProgress(): Promise<{ sink: ProgressSink; close: () => Promise<void> }> {
  if (process.stderr.isTTY === true && !process.env.CI) return (await import('./progress-listr.js')).terminalProgress();
  return { sink: plainProgress(note), close: async () => undefined };
}

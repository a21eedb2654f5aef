import type { Reporter } from 'vitest/reporters';

interface Task {
  type: string;
  mode?: string;
  name?: string;
  result?: { state?: string; duration?: number };
  tasks?: Task[];
}

function countTests(tasks: readonly Task[]): number {
  return tasks.reduce((n, t) => n + (t.type === 'test' ? 1 : countTests(t.tasks ?? [])), 0);
}

function count(tasks: readonly Task[], totals: { passed: number; failed: number; skipped: number }): void {
  for (const task of tasks) {
    if (task.type === 'test') {
      const state = task.result?.state;
      if (state === 'pass') totals.passed++;
      else if (state === 'fail') totals.failed++;
      else totals.skipped++;
    } else {
      // A file or suite that failed without any test in it (it did not even load) is a failure too.
      if (task.result?.state === 'fail' && countTests(task.tasks ?? []) === 0) totals.failed++;
      count(task.tasks ?? [], totals);
    }
  }
}

/** The files that took a minute or more, slowest first: where a CI run's time went, in its log's tail. */
function slowFiles(files: readonly Task[]): string {
  const slow = files
    .map((file) => ({ name: file.name ?? '?', seconds: Math.round((file.result?.duration ?? 0) / 1000) }))
    .filter((file) => file.seconds >= 60)
    .sort((a, b) => b.seconds - a.seconds);
  return slow.length ? `\nslowest files:\n${slow.map((f) => `${String(f.seconds).padStart(6)} s  ${f.name}`).join('\n')}\n` : '';
}

/**
 * Ends the run with the slowest files and one plain "N passed, N failed, N skipped" line that any CI
 * log reader understands.
 */
export default class PlainSummaryReporter implements Reporter {
  onFinished(files: unknown[] = [], errors: unknown[] = []): void {
    const totals = { passed: 0, failed: 0, skipped: 0 };
    count(files as Task[], totals);
    totals.failed += errors.length;
    process.stdout.write(slowFiles(files as Task[]));
    process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
  }
}

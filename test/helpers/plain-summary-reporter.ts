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

function testsOf(task: Task): Task[] {
  return task.type === 'test' ? [task] : (task.tasks ?? []).flatMap(testsOf);
}

const seconds = (ms: number | undefined) => Math.round((ms ?? 0) / 1000);
const line = (s: number, what: string) => `${String(s).padStart(6)} s  ${what}`;

/**
 * The files that took a minute or more, slowest first, each with its tests of a minute or more and
 * the rest (hooks: a lab or a guest started for the file): where a CI run's time went, in its log's tail.
 */
function slowFiles(files: readonly Task[]): string {
  const slow = files.filter((file) => seconds(file.result?.duration) >= 60).sort((a, b) => (b.result?.duration ?? 0) - (a.result?.duration ?? 0));
  const lines = slow.flatMap((file) => {
    const tests = testsOf(file);
    const inTests = tests.reduce((ms, t) => ms + (t.result?.duration ?? 0), 0);
    const long = tests.filter((t) => seconds(t.result?.duration) >= 60).sort((a, b) => (b.result?.duration ?? 0) - (a.result?.duration ?? 0));
    const name = (t: Task) => ((t.name ?? '?').length > 90 ? `${(t.name ?? '?').slice(0, 89)}…` : (t.name ?? '?'));
    return [
      line(seconds(file.result?.duration), file.name ?? '?'),
      ...long.map((t) => `  ${line(seconds(t.result?.duration), name(t))}`),
      ...(seconds((file.result?.duration ?? 0) - inTests) >= 60
        ? [`  ${line(seconds((file.result?.duration ?? 0) - inTests), 'outside the tests (hooks)')}`]
        : []),
    ];
  });
  return lines.length ? `\nslowest files:\n${lines.join('\n')}\n` : '';
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

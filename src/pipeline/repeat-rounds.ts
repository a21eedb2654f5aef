import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readRunLater } from '../model/run-file-later.js';
import { testId, type RunFile, type Sample, type TestResult } from '../model/run.js';
import { globMatch } from '../model/selection.js';

/** A suite's timing-sensitive tests (its `repeat:` rules): test-name globs and how many runs. */
export type RepeatRules = ReadonlyMap<string, ReadonlyArray<{ readonly pattern: string; readonly times: number }>>;

/** How many runs each timed test gets in all, the first round included. */
export type TimedTests = ReadonlyMap<string, number>;

/**
 * The tests to time again after a first round: with `--repeat N`, every test that passed, N runs;
 * else those the suites' `repeat:` rules name. A test that did not pass is not timed: its duration
 * says nothing about speed.
 */
export function timedTests(first: RunFile, repeat: number | undefined, rules: RepeatRules): TimedTests {
  const timed = new Map<string, number>();
  for (const test of first.tests) {
    if (test.status !== 'pass') continue;
    const times = repeat ?? Math.max(0, ...(rules.get(test.suite) ?? []).filter((r) => globMatch(r.pattern, test.name)).map((r) => r.times));
    if (times > 1) timed.set(testId(test), times);
  }
  return timed;
}

export function roundsOf(timed: TimedTests): number {
  return Math.max(1, ...timed.values());
}

/** Round r (from 2) runs the tests timed at least r times, named exactly. */
export function roundFilters(timed: TimedTests, round: number): string[] {
  return [...timed].filter(([, times]) => times >= round).map(([id]) => id);
}

/** Where round r of a variant's run goes: inside its run directory (history and merge look one level down only). */
export function roundDir(runDir: string, round: number): string {
  return join(runDir, 'repeats', String(round));
}

/** A round finished before (--resume): its run.json, which says complete; undefined when it did not. */
export async function doneRound(dir: string): Promise<RunFile | undefined> {
  if (!existsSync(join(dir, 'run.json'))) return undefined;
  const run = await readRunLater(join(dir, 'run.json'));
  return run.run.status === 'complete' ? run : undefined;
}

function sampleOf(test: TestResult): Sample | undefined {
  if (test.status !== 'pass') return undefined;
  const metrics = test.metrics ? Object.fromEntries(Object.entries(test.metrics).map(([name, m]) => [name, m.value])) : undefined;
  // A passing test's duration is that of its last attempt: a retry's earlier failures are not its speed.
  const durationMs = test.attempts.at(-1)?.durationMs ?? test.durationMs;
  return { durationMs, ...(metrics ? { metrics } : {}) };
}

/**
 * The first round's run with every round's sample of each timed test (the first round's own first),
 * and where the rounds are. A test keeps its first round's verdict; a later round in which it did
 * not pass gives no sample and a warning that every report shows (its round's run.json says why).
 */
export function withSamples(first: RunFile, runDir: string, rounds: readonly { round: number; dir: string; run: RunFile }[], timed: TimedTests): RunFile {
  const later = rounds.map(({ run }) => new Map(run.tests.map((t) => [testId(t), t])));
  const warnings: string[] = [];
  const tests = first.tests.map((test) => {
    const id = testId(test);
    if (!timed.has(id)) return test;
    const runs = [test, ...later.flatMap((byId) => (byId.has(id) ? [byId.get(id)!] : []))];
    for (const [i, t] of runs.entries())
      if (i > 0 && t.status !== 'pass')
        warnings.push(`${id} was ${t.status} in repeat round ${rounds[i - 1]!.round} (${relative(runDir, rounds[i - 1]!.dir)}/run.json)`);
    return { ...test, samples: runs.flatMap((t) => sampleOf(t) ?? []) };
  });
  for (const { round, dir, run } of rounds)
    if (run.run.status !== 'complete' || run.errors.length > 0)
      warnings.push(`repeat round ${round} did not complete (${relative(runDir, dir)}/run.json): its samples are missing`);
  const allWarnings = [...(first.run.warnings ?? []), ...warnings];
  return {
    ...first,
    run: {
      ...first.run,
      repeat: { rounds: rounds.length + 1, dirs: rounds.map(({ dir }) => relative(runDir, dir)) },
      ...(allWarnings.length > 0 ? { warnings: allWarnings } : {}),
    },
    tests,
  };
}

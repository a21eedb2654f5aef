import { VERDICTS } from '../model/comparison.js';
import { isFailing, type Status } from '../model/status.js';
import { type FlakeScore, flakeScore } from './flake-score.js';
import type { HistoryStore } from './open-store.js';
import { type NightResult, nightsBefore, testHistory } from './test-history.js';

export interface RunProof {
  readonly night: string;
  readonly runId: string;
  readonly kernelRelease: string | null;
  readonly kernelVersion: string | null;
  readonly series: string | null;
  readonly rocmVersion: string | null;
  readonly kernelCommit: string | null;
  readonly kernelRepo: string | null;
  /** The ROCm userspace build's digest. */
  readonly userspace: string | null;
}

export interface CurrentRegression {
  readonly suite: string;
  readonly name: string;
  readonly gfx: string;
  readonly baseline: string;
  readonly candidate: string;
  /** The latest night, and the candidate's result on it. */
  readonly night: string;
  readonly status: Status;
  readonly events: string | null;
  /** Why it failed tonight: the first line of its message, and its first kernel record. */
  readonly message: string | null;
  readonly firstEvent: string | null;
  readonly log: string | null;
  /** Tonight's candidate run: its id (published run directories are named by it) and where it was imported from. */
  readonly runId: string;
  readonly runDir: string | null;
  /** The first night of the failing streak that ends now, and the last night before it that passed. */
  readonly firstBad?: RunProof;
  readonly lastGood?: RunProof;
  /** What differs between the kernels (and ROCm) of the last good and the first bad night. */
  readonly changed: readonly string[];
  readonly score: FlakeScore;
}

export interface RegressionReport {
  readonly regressions: readonly CurrentRegression[];
  /** Regressed tonight, but their history is a flake's: never called a regression. */
  readonly flaky: readonly CurrentRegression[];
}

// A failure that became a crash or a hang (worse) is a regression too.
const REGRESSIONS = [VERDICTS.indexOf('regression'), VERDICTS.indexOf('worse')];

export function proof(r: NightResult): RunProof {
  return {
    night: r.night,
    runId: r.runId,
    kernelRelease: r.kernelRelease,
    kernelVersion: r.kernelVersion,
    series: r.series,
    rocmVersion: r.rocmVersion,
    kernelCommit: r.kernelCommit,
    kernelRepo: r.kernelRepo,
    userspace: r.userspace,
  };
}

function changes(good: RunProof | undefined, bad: RunProof | undefined): string[] {
  if (!good || !bad) return [];
  const fields: Array<[string, keyof RunProof]> = [
    ['kernel release', 'kernelRelease'],
    ['kernel build', 'kernelVersion'],
    ['series', 'series'],
    ['kernel tree', 'kernelRepo'],
    ['kernel commit', 'kernelCommit'],
    ['ROCm', 'rocmVersion'],
    ['ROCm build', 'userspace'],
  ];
  // Commits and digests are told apart by their first 12 characters, as git shows them.
  const shown = (f: keyof RunProof, value: string | null) => (value === null ? '—' : f === 'kernelCommit' || f === 'userspace' ? value.slice(0, 12) : value);
  return fields.filter(([, f]) => good[f] !== bad[f]).map(([label, f]) => `${label}: ${shown(f, good[f])} → ${shown(f, bad[f])}`);
}

/** The failing streak that ends with the last night: where it starts, and the last night before it that passed. */
function failingStreak(series: readonly NightResult[]): { first: number; good?: NightResult } {
  let first = series.length - 1;
  while (first > 0 && isFailing(series[first - 1]!.status)) first--;
  const good = series
    .slice(0, first)
    .reverse()
    .find((s) => s.status === 'pass');
  return { first, ...(good ? { good } : {}) };
}

/**
 * A test's regression in one variant, as the nights have it: the first night of the failing streak
 * that ends with its latest night, and the last night before it that passed (what a bisect starts from).
 */
export async function regressionEnds(
  store: HistoryStore,
  test: { suite: string; name: string },
  filter: { variant: string; gfx?: string },
): Promise<{ latest?: NightResult; firstBad?: NightResult; lastGood?: NightResult }> {
  const row = await store.db.selectFrom('tests').select('id').where('suite', '=', test.suite).where('name', '=', test.name).executeTakeFirst();
  if (!row) return {};
  const series = await testHistory(store, [row.id], { variant: filter.variant, ...(filter.gfx !== undefined ? { gfx: filter.gfx } : {}) });
  const latest = series.at(-1);
  if (!latest || !isFailing(latest.status)) return latest ? { latest } : {};
  const { first, good } = failingStreak(series);
  return { latest, firstBad: series[first]!, ...(good ? { lastGood: good } : {}) };
}

/**
 * The regressions of the latest nightly per GPU family, each with the night it first failed, the
 * last night it passed and what changed between them. A test whose recent history is a flake's
 * (`window` nights) is listed apart, never as a regression.
 */
export async function currentRegressions(store: HistoryStore, options: { gfx?: string; window?: number } = {}): Promise<RegressionReport> {
  let latest = store.db
    .selectFrom('comparisons')
    .select(['gfx', (eb) => eb.fn.max('night').as('night')])
    .groupBy('gfx');
  if (options.gfx !== undefined) latest = latest.where('gfx', '=', options.gfx);
  const regressions: CurrentRegression[] = [];
  const flaky: CurrentRegression[] = [];
  for (const { gfx, night } of await latest.execute()) {
    if (!night) continue;
    const comparisons = await store.db
      .selectFrom('comparisons')
      .innerJoin('runs as b', 'b.id', 'comparisons.baseline_run')
      .innerJoin('runs as c', 'c.id', 'comparisons.candidate_run')
      .select(['comparisons.id', 'b.variant as baseline', 'c.variant as candidate'])
      .where('comparisons.gfx', '=', gfx)
      .where('comparisons.night', '=', night)
      .execute();
    for (const comparison of comparisons) {
      const tests = await store.db
        .selectFrom('verdicts')
        .innerJoin('tests', 'tests.id', 'verdicts.test_id')
        .select(['tests.id', 'tests.suite', 'tests.name'])
        .where('verdicts.comparison_id', '=', comparison.id)
        .where('verdicts.verdict', 'in', REGRESSIONS)
        .execute();
      if (tests.length === 0) continue;
      const history = await testHistory(
        store,
        tests.map((t) => t.id),
        { variant: comparison.candidate, gfx },
      );
      const since = nightsBefore(night, options.window ?? 14);
      for (const test of tests) {
        const series = history.filter((h) => h.testId === test.id);
        const now = series.at(-1);
        if (!now) continue;
        const { first, good } = failingStreak(series);
        const entry: CurrentRegression = {
          suite: test.suite,
          name: test.name,
          gfx,
          baseline: comparison.baseline,
          candidate: comparison.candidate,
          night,
          status: now.status,
          events: now.events,
          message: now.message,
          firstEvent: now.firstEvent,
          log: now.log,
          runId: now.runId,
          runDir: now.runDir,
          firstBad: proof(series[first]!),
          ...(good ? { lastGood: proof(good) } : {}),
          changed: changes(good ? proof(good) : undefined, proof(series[first]!)),
          score: flakeScore(series.filter((s) => s.night >= since)),
        };
        (entry.score.pattern === 'intermittent' ? flaky : regressions).push(entry);
      }
    }
  }
  return { regressions, flaky };
}

import { InputError } from '../model/errors.js';
import { splitTestId } from '../model/run.js';
import { VERDICTS, type Verdict } from '../model/comparison.js';
import type { Status } from '../model/status.js';
import { flakeScore, type FlakeScore } from './flake-score.js';
import type { HistoryStore } from './open-store.js';
import { testHistory } from './test-history.js';

export interface Strip {
  readonly variant: string;
  readonly gfx: string;
  readonly nights: ReadonlyArray<{ readonly night: string; readonly status: Status; readonly flaky: boolean; readonly events: string | null }>;
  readonly score: FlakeScore;
}

export interface TestStrips {
  readonly suite: string;
  readonly name: string;
  readonly strips: readonly Strip[];
  /** The candidate-vs-baseline verdict of each nightly comparison that had this test. */
  readonly verdicts: ReadonlyArray<{ readonly night: string; readonly gfx: string; readonly verdict: Verdict }>;
}

/** One test's per-night status strip per variant and GPU family, and its verdicts. */
export async function showTest(store: HistoryStore, id: string): Promise<TestStrips> {
  const split = splitTestId(id);
  if (!split) throw new InputError(`${id}: expected SUITE/TEST, e.g. kfdtest/KFDSVMRangeTest.MigrateTest/1`);
  const test = await store.db.selectFrom('tests').select('id').where('suite', '=', split.suite).where('name', '=', split.name).executeTakeFirst();
  if (!test) throw new InputError(`${id}: no such test in ${store.where}`);
  const history = await testHistory(store, [test.id]);
  const groups = new Map<string, typeof history>();
  for (const h of history) groups.set(`${h.variant}\0${h.gfx}`, [...(groups.get(`${h.variant}\0${h.gfx}`) ?? []), h]);
  const strips = [...groups.values()].map((series) => ({
    variant: series[0]!.variant,
    gfx: series[0]!.gfx,
    nights: series.map((s) => ({ night: s.night, status: s.status, flaky: s.flaky, events: s.events })),
    score: flakeScore(series),
  }));
  // Stored verdicts, and "pass" for each comparison whose candidate ran the test but stored none.
  const verdicts = await store.db
    .selectFrom('comparisons')
    .innerJoin('runs as candidate', 'candidate.id', 'comparisons.candidate_run')
    .leftJoin('results', (join) => join.onRef('results.run_key', '=', 'candidate.key').on('results.test_id', '=', test.id))
    .leftJoin('verdicts', (join) => join.onRef('verdicts.comparison_id', '=', 'comparisons.id').on('verdicts.test_id', '=', test.id))
    .select(['comparisons.night', 'comparisons.gfx', 'verdicts.verdict', 'results.status'])
    .where((eb) => eb.or([eb('verdicts.verdict', 'is not', null), eb('results.status', 'is not', null)]))
    .orderBy('comparisons.night')
    .execute();
  return {
    ...split,
    strips,
    verdicts: verdicts.map((v) => ({ night: v.night, gfx: v.gfx, verdict: v.verdict === null ? 'pass' : (VERDICTS[v.verdict] ?? 'skip') })),
  };
}

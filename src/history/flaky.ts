import { STATUSES } from '../model/status.js';
import { type FlakeScore, flakeScore } from './flake-score.js';
import type { HistoryStore } from './open-store.js';
import { nightsBefore, testHistory } from './test-history.js';

export interface FlakyTest {
  readonly suite: string;
  readonly name: string;
  readonly variant: string;
  readonly gfx: string;
  readonly score: FlakeScore;
}

const FAILING = ['fail', 'crash', 'timeout'].map((s) => STATUSES.indexOf(s as (typeof STATUSES)[number]));

/** Tests whose results flip between nights (or pass only on retries) over the last `nights` nights, most flips first. */
export async function flakyTests(store: HistoryStore, options: { nights?: number; gfx?: string; variant?: string } = {}): Promise<FlakyTest[]> {
  const latest = (
    await store.db
      .selectFrom('runs')
      .select((eb) => eb.fn.max('night').as('night'))
      .executeTakeFirst()
  )?.night;
  if (!latest) return [];
  const since = nightsBefore(latest, (options.nights ?? 14) - 1);
  // Only tests that failed or were retried in the window can be flaky: find them first, then read their history.
  let candidates = store.db
    .selectFrom('results')
    .innerJoin('runs', 'runs.key', 'results.run_key')
    .select('results.test_id')
    .distinct()
    .where('runs.night', '>=', since)
    .where((eb) => eb.or([eb('results.status', 'in', FAILING), eb('results.flaky', '=', 1)]));
  if (options.gfx !== undefined) candidates = candidates.where('runs.gfx', '=', options.gfx);
  if (options.variant) candidates = candidates.where('runs.variant', '=', options.variant);
  const ids = (await candidates.execute()).map((r) => r.test_id);
  if (ids.length === 0) return [];
  const history = await testHistory(store, ids, {
    sinceNight: since,
    ...(options.gfx !== undefined ? { gfx: options.gfx } : {}),
    ...(options.variant ? { variant: options.variant } : {}),
  });
  const names = new Map<number, { suite: string; name: string }>();
  for (let i = 0; i < ids.length; i += 400) {
    for (const t of await store.db
      .selectFrom('tests')
      .select(['id', 'suite', 'name'])
      .where('id', 'in', ids.slice(i, i + 400))
      .execute())
      names.set(t.id, t);
  }
  const groups = new Map<string, typeof history>();
  for (const h of history) {
    const key = `${h.testId}\0${h.variant}\0${h.gfx}`;
    groups.set(key, [...(groups.get(key) ?? []), h]);
  }
  const flaky: FlakyTest[] = [];
  for (const series of groups.values()) {
    const score = flakeScore(series);
    if (score.pattern !== 'intermittent') continue;
    const { testId, variant, gfx } = series[0]!;
    flaky.push({ ...names.get(testId)!, variant, gfx, score });
  }
  return flaky.sort((a, b) => b.score.flips - a.score.flips || b.score.failures - a.score.failures || (a.name < b.name ? -1 : 1));
}

import type { TestHint } from '../model/order.js';
import { isFailing } from '../model/status.js';
import { flakeScore } from './flake-score.js';
import type { HistoryStore } from './open-store.js';
import { nightsBefore, testHistory } from './test-history.js';

/** Nights in which a failure counts as "failing recently". */
const RECENT_NIGHTS = 3;

/**
 * What the store knows about each test of a variant over its last `nights` nights, for `--order
 * history`: whether it failed recently, whether it is flaky, the last night its status changed, and
 * its median duration. Tests the store has never seen are absent. `before` leaves out that night and
 * later ones: the shards of one night, importing as they finish, all read the same earlier nights.
 */
export async function orderHints(
  store: HistoryStore,
  options: { variant: string; gfx?: string; nights?: number; before?: string },
): Promise<Map<string, TestHint>> {
  let latestQuery = store.db
    .selectFrom('runs')
    .select((eb) => eb.fn.max('night').as('night'))
    .where('variant', '=', options.variant);
  if (options.before !== undefined) latestQuery = latestQuery.where('night', '<', options.before);
  const latest = (await latestQuery.executeTakeFirst())?.night;
  const hints = new Map<string, TestHint>();
  if (!latest) return hints;
  const since = nightsBefore(latest, (options.nights ?? 30) - 1);
  const recent = nightsBefore(latest, RECENT_NIGHTS - 1);
  const tests = await store.db.selectFrom('tests').select(['id', 'suite', 'name']).execute();
  const names = new Map(tests.map((t) => [t.id, `${t.suite}/${t.name}`]));
  const durations = new Map<number, number[]>();
  let query = store.db
    .selectFrom('results')
    .innerJoin('runs', 'runs.key', 'results.run_key')
    .select(['results.test_id', 'results.duration_ms'])
    .where('runs.variant', '=', options.variant)
    .where('runs.night', '>=', since)
    .where('runs.night', '<=', latest)
    .where('results.status', '=', 0);
  if (options.gfx !== undefined) query = query.where('runs.gfx', '=', options.gfx);
  for (const row of await query.execute()) {
    const list = durations.get(row.test_id);
    if (list) list.push(row.duration_ms);
    else durations.set(row.test_id, [row.duration_ms]);
  }
  const history = await testHistory(store, [...names.keys()], {
    variant: options.variant,
    sinceNight: since,
    untilNight: latest,
    ...(options.gfx !== undefined ? { gfx: options.gfx } : {}),
  });
  const byTest = new Map<number, typeof history>();
  for (const row of history) {
    const list = byTest.get(row.testId);
    if (list) list.push(row);
    else byTest.set(row.testId, [row]);
  }
  for (const [testId, series] of byTest) {
    const ran = series.filter((s) => s.status === 'pass' || isFailing(s.status));
    let lastChange: string | undefined;
    for (let i = 1; i < ran.length; i++) if (isFailing(ran[i]!.status) !== isFailing(ran[i - 1]!.status)) lastChange = ran[i]!.night;
    const sorted = (durations.get(testId) ?? []).sort((a, b) => a - b);
    hints.set(names.get(testId)!, {
      failedRecently: ran.some((s) => s.night >= recent && isFailing(s.status)),
      flaky: flakeScore(series).pattern === 'intermittent',
      ...(lastChange ? { lastChange } : {}),
      ...(sorted.length > 0 ? { durationMs: sorted[Math.floor(sorted.length / 2)]! } : {}),
    });
  }
  return hints;
}

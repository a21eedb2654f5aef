import type { KernelProvenance } from '../model/run.js';
import { STATUSES, type Status } from '../model/status.js';
import type { HistoryStore } from './open-store.js';

/** One test's result on one night, in one variant on one GPU family (shards merged, the latest run winning). */
export interface NightResult {
  readonly testId: number;
  readonly night: string;
  readonly variant: string;
  readonly gfx: string;
  readonly status: Status;
  readonly flaky: boolean;
  readonly events: string | null;
  readonly log: string | null;
  readonly message: string | null;
  readonly firstEvent: string | null;
  readonly runId: string;
  readonly runDir: string | null;
  readonly kernelRelease: string | null;
  readonly kernelVersion: string | null;
  readonly series: string | null;
  readonly rocmVersion: string | null;
  /** The kernel's source commit and tree, and the ROCm build's digest, when the run recorded them. */
  readonly kernelCommit: string | null;
  readonly kernelRepo: string | null;
  readonly userspace: string | null;
}

export interface HistoryFilter {
  readonly variant?: string;
  readonly gfx?: string;
  readonly sinceNight?: string;
  /** The last night included. */
  readonly untilNight?: string;
}

const IN_CHUNK = 400;

/** The nightly results of some tests, oldest night first. */
export async function testHistory(store: HistoryStore, testIds: readonly number[], filter: HistoryFilter = {}): Promise<NightResult[]> {
  const byCell = new Map<string, NightResult & { startedAt: string }>();
  for (let i = 0; i < testIds.length; i += IN_CHUNK) {
    // From the runs, through results' primary key (run, test): a point lookup per run and test.
    const ids = testIds.slice(i, i + IN_CHUNK);
    let query = store.db
      .selectFrom('runs')
      .innerJoin('results', (join) => join.onRef('results.run_key', '=', 'runs.key').on('results.test_id', 'in', ids))
      .select([
        'results.test_id',
        'results.status',
        'results.flaky',
        'results.events',
        'results.log',
        'results.message',
        'results.first_event',
        'runs.id',
        'runs.night',
        'runs.variant',
        'runs.gfx',
        'runs.started_at',
        'runs.run_dir',
        'runs.kernel_release',
        'runs.kernel_version',
        'runs.series',
        'runs.rocm_version',
        'runs.kernel_build',
        'runs.userspace',
      ])
      .where('results.test_id', 'in', ids);
    if (filter.variant) query = query.where('runs.variant', '=', filter.variant);
    if (filter.gfx !== undefined) query = query.where('runs.gfx', '=', filter.gfx);
    if (filter.sinceNight) query = query.where('runs.night', '>=', filter.sinceNight);
    if (filter.untilNight) query = query.where('runs.night', '<=', filter.untilNight);
    for (const row of await query.execute()) {
      const key = `${row.test_id}\0${row.night}\0${row.variant}\0${row.gfx}`;
      const seen = byCell.get(key);
      if (seen && seen.startedAt >= row.started_at) continue;
      byCell.set(key, {
        testId: row.test_id,
        night: row.night,
        variant: row.variant,
        gfx: row.gfx,
        status: STATUSES[row.status] ?? 'notrun',
        flaky: row.flaky === 1,
        events: row.events,
        log: row.log,
        message: row.message,
        firstEvent: row.first_event,
        runId: row.id,
        runDir: row.run_dir,
        kernelRelease: row.kernel_release,
        kernelVersion: row.kernel_version,
        series: row.series,
        rocmVersion: row.rocm_version,
        ...provenanceOf(row.kernel_build),
        userspace: row.userspace,
        startedAt: row.started_at,
      });
    }
  }
  return [...byCell.values()].sort((a, b) => (a.night < b.night ? -1 : a.night > b.night ? 1 : 0));
}

function provenanceOf(json: string | null): { kernelCommit: string | null; kernelRepo: string | null } {
  try {
    const build = json ? (JSON.parse(json) as KernelProvenance) : undefined;
    return { kernelCommit: build?.commit ?? null, kernelRepo: build?.repo ?? null };
  } catch {
    return { kernelCommit: null, kernelRepo: null };
  }
}

/** The night `days` before `night` (YYYY-MM-DD). */
export function nightsBefore(night: string, days: number): string {
  const date = new Date(`${night}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - days);
  return date.toISOString().slice(0, 10);
}

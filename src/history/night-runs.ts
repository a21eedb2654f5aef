import { VERDICTS, type Verdict } from '../model/comparison.js';
import { InputError } from '../model/errors.js';
import { type KernelProvenance, RUN_SCHEMA_VERSION, type RunFile } from '../model/run.js';
import { STATUSES } from '../model/status.js';
import type { HistoryStore } from './open-store.js';

export interface StoredRun {
  readonly run: RunFile;
  /** Verdicts of the tests of this run when a comparison of that night had it as its candidate. */
  readonly verdicts?: ReadonlyMap<string, Verdict>;
  readonly role?: 'baseline' | 'candidate';
}

/**
 * A night's runs as the store keeps them, shaped as run files: statuses, durations, logs and each
 * test's kernel-event summary ("gpu-page-fault:2"; the full records stay in the run directory).
 */
export async function nightRuns(store: HistoryStore, night: string): Promise<StoredRun[]> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(night)) throw new InputError(`--night "${night}": expected a date, YYYY-MM-DD`);
  const runs = await store.db.selectFrom('runs').selectAll().where('night', '=', night).orderBy('started_at').execute();
  if (runs.length === 0) throw new InputError(`${store.where}: no runs on the night of ${night}`);
  const comparisons = await store.db.selectFrom('comparisons').selectAll().where('night', '=', night).execute();
  const out: StoredRun[] = [];
  for (const r of runs) {
    const results = await store.db
      .selectFrom('results')
      .innerJoin('tests', 'tests.id', 'results.test_id')
      .select(['tests.id as testId', 'tests.suite', 'tests.name', 'results.status', 'results.duration_ms', 'results.attempts', 'results.events', 'results.log'])
      .where('results.run_key', '=', r.key)
      .orderBy('tests.suite')
      .orderBy('tests.name')
      .execute();
    const asCandidate = comparisons.find((c) => c.candidate_run === r.id);
    let verdicts: Map<string, Verdict> | undefined;
    if (asCandidate) {
      const stored = await store.db.selectFrom('verdicts').select(['test_id', 'verdict']).where('comparison_id', '=', asCandidate.id).execute();
      const byTest = new Map(stored.map((v) => [v.test_id, VERDICTS[v.verdict] ?? 'pass']));
      // A candidate test without a stored verdict passed in both variants (see import.ts).
      verdicts = new Map(results.map((t) => [`${t.suite}/${t.name}`, byTest.get(t.testId) ?? 'pass']));
    }
    const gfx = r.gfx ? r.gfx.split(',') : [];
    const run: RunFile = {
      schemaVersion: RUN_SCHEMA_VERSION,
      run: {
        id: r.id,
        variant: r.variant,
        target: r.target,
        startedAt: r.started_at,
        ...(r.finished_at ? { finishedAt: r.finished_at } : {}),
        status: r.status as RunFile['run']['status'],
        environment: {
          gpus: gfx.map((g, i) => ({ node: i + 1, gfx: g, name: g, xnack: null })),
          ...(r.kernel_release ? { kernelRelease: r.kernel_release } : {}),
          ...(r.kernel_version ? { kernelVersion: r.kernel_version } : {}),
          ...(r.kernel_config ? { kernelConfig: JSON.parse(r.kernel_config) as Record<string, string> } : {}),
          ...(r.hostname ? { hostname: r.hostname } : {}),
          ...(r.rocm_version ? { rocmVersion: r.rocm_version } : {}),
          ...(r.kernel_build ? { kernelBuild: JSON.parse(r.kernel_build) as KernelProvenance } : {}),
        },
        toolVersion: r.tool_version ?? 'unknown',
        ...(r.warnings ? { warnings: JSON.parse(r.warnings) as string[] } : {}),
      },
      tests: results.map((t) => {
        const status = STATUSES[t.status] ?? 'notrun';
        return {
          suite: t.suite,
          name: t.name,
          status,
          durationMs: t.duration_ms,
          attempts: [{ status, durationMs: t.duration_ms }],
          ...(t.events ? { message: `kernel records (summary kept by the history store): ${t.events}` } : {}),
          kernelEvents: [],
          ...(t.log ? { log: t.log } : {}),
        };
      }),
      errors: [],
    };
    const role = asCandidate ? 'candidate' : comparisons.some((c) => c.baseline_run === r.id) ? 'baseline' : undefined;
    out.push({ run, ...(verdicts ? { verdicts } : {}), ...(role ? { role } : {}) });
  }
  return out;
}

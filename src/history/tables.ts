import type { Generated } from 'kysely';

// The history store's tables, as Kysely sees them. Tests are interned (one row per suite/name);
// statuses and verdicts are small integers (their index in STATUSES / VERDICTS); kernel events are a
// per-test summary ("gpu-page-fault:2 warning:1") with the full records left in the run directory.

export interface RunsTable {
  /** A small integer key: results refer to runs by it (a UUID per result row would double the store). */
  key: Generated<number>;
  id: string;
  variant: string;
  /** The nightly's date (YYYY-MM-DD): the run's start day, unless import was told otherwise. */
  night: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  target: string;
  shard_index: number | null;
  shard_total: number | null;
  kernel_release: string | null;
  /** The kernel build (uname -v) — with the release, what tells two kernels apart. */
  kernel_version: string | null;
  /** The kernel config options the run recorded, as JSON. */
  kernel_config: string | null;
  /** The patch series and base a svmtest build recorded, when it built the kernel. */
  series: string | null;
  /** GPU families, sorted and comma-separated ("" for none): how runs are grouped per family. */
  gfx: string;
  rocm_version: string | null;
  hostname: string | null;
  /** Where the run directory was when imported: logs and kernel events are linked from there. */
  run_dir: string | null;
  test_count: number;
  imported_at: string;
  tool_version: string | null;
  /** JSON array of the run's warnings (run.json run.warnings), null when it had none. */
  warnings: string | null;
  /** The kernel's provenance as run.json has it (KernelProvenance, JSON): tree, commit, series. */
  kernel_build: string | null;
  /** The digest of the ROCm userspace build the suites ran from. */
  userspace: string | null;
}

export interface TestsTable {
  id: Generated<number>;
  suite: string;
  name: string;
}

export interface ResultsTable {
  run_key: number;
  test_id: number;
  status: number;
  duration_ms: number;
  attempts: number;
  /** 1 when the test passed on a retry after failing. */
  flaky: number;
  events: string | null;
  log: string | null;
  /** Failing results only: the first line of the failure message (at most 300 characters). */
  message: string | null;
  /** Failing results only: the first kernel record's summary, e.g. the oops or the page fault. */
  first_event: string | null;
}

export interface ComparisonsTable {
  id: string;
  baseline_run: string;
  candidate_run: string;
  night: string;
  gfx: string;
  created_at: string;
  counts: string;
}

/** Per run, suite and status: what trends read (written at import; results are never aggregated for them). */
export interface RunCountsTable {
  run_key: number;
  suite: string;
  status: number;
  n: number;
  duration_ms: number;
  /** Tests during which the kernel logged a GPU page fault, a GPU reset, or a panic/oops/BUG/WARNING. */
  page_faults: number;
  resets: number;
  kernel_errors: number;
}

/** Every verdict but "pass": a comparison's test without a row here passed in both variants. */
export interface VerdictsTable {
  comparison_id: string;
  test_id: number;
  verdict: number;
}

/** A comparison's performance verdict for one test's duration or metric (every measure, `same` too). */
export interface PerfVerdictsTable {
  comparison_id: string;
  test_id: number;
  metric: string;
  unit: string;
  better: string;
  verdict: string;
  ratio: number | null;
  low: number | null;
  high: number | null;
  p_adjusted: number;
  baseline_median: number;
  candidate_median: number;
  /** Samples on the candidate's side. */
  samples: number;
}

export interface HistoryDatabase {
  runs: RunsTable;
  tests: TestsTable;
  results: ResultsTable;
  run_counts: RunCountsTable;
  comparisons: ComparisonsTable;
  verdicts: VerdictsTable;
  perf_verdicts: PerfVerdictsTable;
}

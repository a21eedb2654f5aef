import { createHash } from 'node:crypto';
import type { Verdict } from '../model/comparison.js';
import type { RunFile, TestResult } from '../model/run.js';
import type { Status } from '../model/status.js';

// KernelCI's kcidb I/O, version 5.3: svmtest's runs as checkouts (the kernel source), builds (one
// per variant's kernel as a run booted it) and tests. Pure: saved results in, a document out.

export const KCIDB_VERSION = { major: 5, minor: 3 } as const;

/**
 * svmtest's statuses in kcidb's words. A crash or a timeout says nothing about whether the code
 * under test works — the test could not finish — which is kcidb's ERROR; a test never run is MISS.
 */
export const KCIDB_STATUS: Readonly<Record<Status, 'PASS' | 'FAIL' | 'ERROR' | 'MISS' | 'SKIP'>> = {
  pass: 'PASS',
  fail: 'FAIL',
  crash: 'ERROR',
  timeout: 'ERROR',
  skip: 'SKIP',
  notrun: 'MISS',
};

export interface KcidbResource {
  readonly name: string;
  readonly url: string;
}

export interface KcidbDocument {
  readonly version: typeof KCIDB_VERSION;
  readonly checkouts: ReadonlyArray<Record<string, unknown>>;
  readonly builds: ReadonlyArray<Record<string, unknown>>;
  readonly tests: ReadonlyArray<Record<string, unknown>>;
}

export interface KcidbRun {
  readonly run: RunFile;
  /** The verdict of each candidate test (by suite/name) when the run is a comparison's candidate. */
  readonly verdicts?: ReadonlyMap<string, Verdict>;
  /** The role in a comparison: baseline or candidate. */
  readonly role?: 'baseline' | 'candidate';
}

export interface KcidbOptions {
  /** kcidb's origin: lower-case letters, digits and _ (checked by the caller). */
  readonly origin: string;
  /** Where run directories are published by run id: logs become `<base>/<run id>/<log>`. */
  readonly logBase?: string;
}

const MAX_EXCERPT = 16_384;
const NUL = /\0/g;

/** Text kcidb takes: no NUL, at most `max` characters. */
function text(value: string, max = MAX_EXCERPT): string {
  const clean = value.replace(NUL, '\\0');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 10);
}

/** A kcidb path segment: letters, digits, _ and - only. */
function segment(part: string): string {
  return part.replace(/[^a-zA-Z0-9_-]/g, '_') || '_';
}

/**
 * The test's kcidb path: `rocm.<suite>.<Case>.<Test>` (kfdtest's KFDSVMRangeTest.MigrateTest is
 * rocm.kfdtest.KFDSVMRangeTest.MigrateTest). A name with characters kcidb does not allow in a path
 * (a parameterised `Gen/P.T/0`, spaces) gets them as _, and a hash of the real name so that two
 * names never share a path; the real name is in the test's misc.
 */
export function kcidbPath(suite: string, name: string): string {
  const parts = name.split('.').filter((p) => p !== '');
  const clean = parts.map(segment);
  const exact = parts.length > 0 && clean.every((c, i) => c === parts[i]) && segment(suite) === suite;
  return ['rocm', segment(suite), ...(clean.length > 0 ? clean : ['_']), ...(exact ? [] : [`h${shortHash(`${suite}/${name}`)}`])].join('.');
}

/** The kernel source a run booted: what tells two checkouts apart. */
function checkoutOf(run: RunFile, origin: string): Record<string, unknown> {
  const env = run.run.environment;
  const build = env.kernelBuild;
  const key = build ? `${build.baseCommit ?? build.base ?? ''}+${build.series ?? ''}+${build.commit ?? ''}` : `release ${env.kernelRelease ?? 'unknown'}`;
  // kcidb's checkout is the base; the series is its patchset (svmtest's build applies it on top).
  const commit = build?.baseCommit ?? build?.commit;
  return {
    id: `${origin}:checkout-${shortHash(key)}`,
    origin,
    ...(build?.base ? { tree_name: text(build.base, 200), git_repository_branch: text(build.base, 200) } : {}),
    ...(build?.repo && /^https:\/\/\S+$/.test(build.repo) ? { git_repository_url: build.repo } : {}),
    ...(commit && /^[0-9a-f]{40}$/.test(commit) ? { git_commit_hash: commit } : {}),
    ...(build?.series && /^[0-9a-f]{64}$/.test(build.series) ? { patchset_hash: build.series } : {}),
    ...(build?.seriesMessageId && /^[^\s@<>]+@[^\s@<>]+$/.test(build.seriesMessageId) ? { message_id: build.seriesMessageId } : {}),
    start_time: run.run.startedAt,
    valid: true,
    misc: {
      ...(env.kernelRelease ? { kernel_release: env.kernelRelease } : {}),
      ...(build?.series === 'none' ? { series: 'none' } : {}),
      ...(build?.seriesVersion ? { series_version: build.seriesVersion } : {}),
      ...(build?.seriesPatches !== undefined ? { series_patches: build.seriesPatches } : {}),
      ...(build?.commit ? { built_commit: build.commit } : {}),
    },
  };
}

function logResource(logBase: string | undefined, runId: string, log: string | undefined): KcidbResource | undefined {
  if (!logBase || !log) return undefined;
  const path = log.split('/').map(encodeURIComponent).join('/');
  return { name: text(log.split('/').pop() ?? 'log', 200).replace(/\//g, '_'), url: `${logBase}/${encodeURIComponent(runId)}/${path}` };
}

function testOf(entry: KcidbRun, test: TestResult, buildId: string, options: KcidbOptions): Record<string, unknown> {
  const { run } = entry;
  const env = run.run.environment;
  const id = `${test.suite}/${test.name}`;
  const log = logResource(options.logBase, run.run.id, test.log);
  const verdict = entry.verdicts?.get(id);
  const gfx = [...new Set(env.gpus.map((g) => g.gfx))].sort();
  return {
    id: `${options.origin}:${run.run.id}:${text(id, 4096)}`,
    build_id: buildId,
    origin: options.origin,
    path: kcidbPath(test.suite, test.name),
    status: KCIDB_STATUS[test.status],
    // svmtest records when the run started, not each test: the run's start stands for its tests.
    start_time: run.run.startedAt,
    duration: test.durationMs / 1000,
    environment: {
      comment: text(`${gfx.join(', ') || 'no GPU'} on ${env.hostname ?? run.run.target}`, 500),
      misc: { gfx, gpus: env.gpus.map((g) => ({ ...g })), target: run.run.target, ...(env.hostname ? { hostname: env.hostname } : {}) },
    },
    ...(test.message ? { log_excerpt: text(test.message) } : {}),
    ...(log ? { log_url: log.url, output_files: [log] } : {}),
    misc: {
      suite: test.suite,
      name: test.name,
      svmtest_status: test.status,
      attempts: test.attempts.map((a) => a.status),
      variant: run.run.variant,
      ...(entry.role ? { role: entry.role } : {}),
      ...(verdict ? { verdict } : {}),
      ...(test.kernelEvents.length > 0
        ? {
            kernel_events: test.kernelEvents.map((e) => ({
              kind: e.kind,
              ...(e.timestamp !== null ? { timestamp: e.timestamp } : {}),
              summary: text(e.summary, 2000),
              lines: e.lines.slice(0, 40).map((l) => text(l, 2000)),
            })),
          }
        : {}),
    },
  };
}

/** The runs (one, a comparison's two, or a night's from the history store) as one kcidb document. */
export function toKcidb(runs: readonly KcidbRun[], options: KcidbOptions): KcidbDocument {
  const checkouts = new Map<string, Record<string, unknown>>();
  const builds: Record<string, unknown>[] = [];
  const tests: Record<string, unknown>[] = [];
  for (const entry of runs) {
    const { run } = entry;
    const checkout = checkoutOf(run, options.origin);
    const checkoutId = checkout.id as string;
    if (!checkouts.has(checkoutId)) checkouts.set(checkoutId, checkout);
    const env = run.run.environment;
    const buildId = `${options.origin}:${run.run.id}`;
    const durationS = run.run.finishedAt ? (Date.parse(run.run.finishedAt) - Date.parse(run.run.startedAt)) / 1000 : undefined;
    builds.push({
      id: buildId,
      checkout_id: checkoutId,
      origin: options.origin,
      config_name: text(run.run.variant, 200),
      architecture: 'x86_64',
      start_time: run.run.startedAt,
      ...(durationS !== undefined && durationS >= 0 ? { duration: durationS } : {}),
      // The kernel booted and proved it is the variant (preflight), or the run says it could not.
      status: (run.run.preflight ?? []).every((c) => c.ok) ? 'PASS' : 'ERROR',
      ...(run.run.warnings?.length ? { comment: text(run.run.warnings.join('; '), 2000) } : {}),
      misc: {
        variant: run.run.variant,
        run_status: run.run.status,
        target: run.run.target,
        tool_version: run.run.toolVersion,
        ...(env.kernelRelease ? { kernel_release: env.kernelRelease } : {}),
        ...(env.kernelVersion ? { kernel_version: text(env.kernelVersion, 500) } : {}),
        ...(env.kernelConfig ? { kernel_config: { ...env.kernelConfig } } : {}),
        ...(env.kernelBuild?.key ? { artifact: env.kernelBuild.key } : {}),
        ...(entry.role ? { role: entry.role } : {}),
      },
    });
    for (const test of run.tests) tests.push(testOf(entry, test, buildId, options));
  }
  return { version: KCIDB_VERSION, checkouts: [...checkouts.values()], builds, tests };
}

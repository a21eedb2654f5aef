import type { KernelEvent } from './kernel-event.js';
import type { Status } from './status.js';

export const RUN_SCHEMA_VERSION = 1;

export type RunStatus = 'complete' | 'incomplete' | 'interrupted';
/** The target a run ran on, by its registered name (host, qemu, ssh, …), or import for a run parsed from files. */
export type TargetKind = string;

export interface Shard {
  readonly index: number;
  readonly total: number;
}

export interface Gpu {
  readonly node: number;
  readonly gfx: string;
  readonly name: string;
  readonly xnack: boolean | null;
}

export interface Environment {
  readonly kernelRelease?: string;
  readonly kernelVersion?: string;
  /** Only the options that matter to the comparison, e.g. CONFIG_DRM_AMDGPU_SVM → "y" or "n". */
  readonly kernelConfig?: Readonly<Record<string, string>>;
  /** Where the booted kernel came from: what svmtest built, or what `parse --commit` was told. */
  readonly kernelBuild?: KernelProvenance;
  /** Where kernelConfig was read: /proc/config.gz, /boot/config-<release>, or the booted kernel's build config on the host. */
  readonly kernelConfigSource?: string;
  readonly gpus: readonly Gpu[];
  readonly rocmVersion?: string;
  readonly hostname?: string;
  /** The ROCm userspace `svmtest build` made, when the suites ran from it ({build}). */
  readonly userspace?: UserspaceBuild;
}

/**
 * A kernel's provenance, defined once for every reader (reports, history, kcidb, bisect): the
 * tree and base it was built on, the commit built (the series applied), the series' content hash,
 * version, Message-Id and patch count, and the artifact key.
 */
export interface KernelProvenance {
  /** The repository (URL or path) and the base ref, e.g. drm-next. */
  readonly repo?: string;
  readonly base?: string;
  readonly baseCommit?: string;
  /** The commit the kernel was built from: the base with the series applied. */
  readonly commit?: string;
  /** sha256 of the series' mboxes, or "none". */
  readonly series?: string;
  readonly seriesVersion?: number;
  /** The cover letter's Message-Id (or the first patch's). */
  readonly seriesMessageId?: string;
  /** The cover letter's subject, without its [PATCH …] prefix. */
  readonly seriesSubject?: string;
  readonly seriesPatches?: number;
  readonly key?: string;
}

/** What a userspace build was made from: per component its source, source hash and CMake options. */
export interface UserspaceBuild {
  /** Of every component's cache key: two runs with the same digest ran the same builds. */
  readonly digest: string;
  readonly components: ReadonlyArray<{
    readonly component: string;
    readonly source: string;
    readonly sourceHash: string;
    readonly cmake: Readonly<Record<string, string>>;
  }>;
}

/** What part of the suites this run was asked to cover, so a comparison can tell "missing" from "not selected". */
export interface Selection {
  readonly suites?: readonly string[];
  readonly filters?: readonly string[];
  readonly profile?: string;
  /** What the selection did that a reader must know: a profile's fallback, a suite left empty. */
  readonly notes?: readonly string[];
}

/**
 * Where a suite's results came from: the framework's machine channel (gtest's result stream),
 * its own report file (ctest's JUnit), or — when the binary has neither — the console it prints.
 */
export type ResultSource = 'channel' | 'report-file' | 'console';

export interface PreflightCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly expected: string;
  readonly found: string;
}

export interface RunInfo {
  readonly id: string;
  readonly variant: string;
  /** The nightly this run belongs to (YYYY-MM-DD) when it is not the start day (`parse --night`). */
  readonly night?: string;
  readonly target: TargetKind;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly status: RunStatus;
  readonly shard?: Shard;
  readonly selection?: Selection;
  readonly environment: Environment;
  readonly toolVersion: string;
  readonly preflight?: readonly PreflightCheck[];
  /** What weakens this run's proof and every report must say (e.g. a DUT's host key not checked). */
  readonly warnings?: readonly string[];
  /** How the target ran things (`Target.notes`): which programs' tests were forked from a warm start, or why not; how a QEMU guest's kernel was booted. */
  readonly notes?: readonly string[];
  /** How kernel records were given to tests: marker records in the log itself, or (where it cannot be written) the clock. */
  readonly kernelAttribution?: 'markers' | 'clock';
  /** Per suite: where its results came from. */
  readonly resultSources?: Readonly<Record<string, ResultSource>>;
  /** How often the timed tests ran (`--repeat`), and in which rounds' directories (relative to this run's). */
  readonly repeat?: { readonly rounds: number; readonly dirs: readonly string[] };
  /** The lab jobs that ran it (a LAVA target): each job's id, its log's page, the device, its shard. */
  readonly jobs?: readonly LabJob[];
}

export interface LabJob {
  readonly id: string;
  readonly url?: string;
  readonly device?: string;
  readonly shard?: Shard;
  /** What the lab said when the job did not complete. */
  readonly failure?: string;
}

export interface Attempt {
  readonly status: Status;
  readonly durationMs: number;
  readonly message?: string;
}

/** Which way a metric improves: a bandwidth is better higher, a latency or a duration lower. */
export type MetricBetter = 'higher' | 'lower';

/** A number a test printed about itself (a bandwidth, a latency), read by its suite's metric patterns. */
export interface Metric {
  readonly value: number;
  readonly unit: string;
  readonly better: MetricBetter;
}

/** One timed run of a test that passed (`--repeat`): its duration and the metrics it printed. */
export interface Sample {
  readonly durationMs: number;
  readonly metrics?: Readonly<Record<string, number>>;
}

export interface TestResult {
  readonly suite: string;
  readonly name: string;
  readonly status: Status;
  readonly durationMs: number;
  readonly attempts: readonly Attempt[];
  readonly message?: string;
  readonly kernelEvents: readonly KernelEvent[];
  readonly log?: string;
  /** The metrics this test printed (its last attempt), by name. */
  readonly metrics?: Readonly<Record<string, Metric>>;
  /** Every timed run of this test when the run repeated it (`--repeat`): the first is this result's own. */
  readonly samples?: readonly Sample[];
}

export interface InfraProblem {
  readonly stage: string;
  readonly message: string;
  readonly suite?: string;
}

/** A kernel record logged outside any test: before the first, between two, after the last. */
export interface RunKernelEvent {
  /** Where in the run, e.g. "before the first test", "after kfdtest/A.b". */
  readonly context: string;
  readonly event: KernelEvent;
}

export interface RunFile {
  readonly schemaVersion: typeof RUN_SCHEMA_VERSION;
  readonly run: RunInfo;
  readonly tests: readonly TestResult[];
  readonly errors: readonly InfraProblem[];
  /** Kernel records that belong to the batch, not to a test. */
  readonly kernelEvents?: readonly RunKernelEvent[];
}

/**
 * A test name holds no NUL and at most this many characters, the same in every store and report:
 * PostgreSQL keeps a name's bytes in a unique index, whose rows must stay under ~2.7 KB (512
 * characters are at most 2 KB of UTF-8; a suite name at most 128 more).
 */
export const MAX_TEST_NAME = 512;

/** What is wrong with a test name, if anything. */
export function testNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.includes('\u0000')) return 'holds a NUL character';
  if (name.length > MAX_TEST_NAME) return `is ${name.length} characters long (at most ${MAX_TEST_NAME})`;
  return undefined;
}

/** The id of a test is `suite/name`; split at the first `/` (names may contain `/`). */
export function testId(test: { suite: string; name: string }): string {
  return `${test.suite}/${test.name}`;
}

/**
 * Values by test, looked up by suite and then name: the strings a run already holds, whose hashes V8
 * keeps, where a testId key is a string to build and hash for each of 100,000 tests.
 */
export class ByTest<T> {
  private readonly bySuite = new Map<string, Map<string, T>>();

  get(suite: string, name: string): T | undefined {
    return this.bySuite.get(suite)?.get(name);
  }

  set(suite: string, name: string, value: T): void {
    const names = this.bySuite.get(suite) ?? new Map<string, T>();
    this.bySuite.set(suite, names.set(name, value));
  }
}

export function splitTestId(id: string): { suite: string; name: string } | undefined {
  const slash = id.indexOf('/');
  if (slash <= 0 || slash === id.length - 1) return undefined;
  return { suite: id.slice(0, slash), name: id.slice(slash + 1) };
}

import type { KernelEvent } from './kernel-event.js';
import type { Status } from './status.js';

// bisect.json: what `svmtest bisect` found and every step that led there. Written after each step
// (the journal holds the same steps as they finish), read by its reports and by --resume.

export const BISECT_SCHEMA_VERSION = 1;

/** A patch as git has it (subject, author, date, diffstat) and where it was posted. */
export interface BisectCommit {
  readonly commit: string;
  readonly subject: string;
  readonly author: string;
  readonly date: string;
  /** Its place in the series: patch 1 is the first after the base. */
  readonly patch?: number;
  readonly messageId?: string;
  /** lore.kernel.org's link for the Message-Id. */
  readonly lore?: string;
  readonly diffstat: string;
}

/** One named test in one run of a step: its status and, when it failed, why (the kernel's records included). */
export interface BisectTestResult {
  readonly id: string;
  /** `missing` when the run finished without the test (not at this commit, or filtered away). */
  readonly status: Status | 'missing';
  readonly message?: string;
  readonly kernelEvents?: readonly KernelEvent[];
  /** The test's log, relative to the bisect directory. */
  readonly log?: string;
}

export interface BisectRun {
  readonly index: number;
  /** The run directory, relative to the bisect directory. */
  readonly dir: string;
  readonly bootMs?: number;
  readonly runMs?: number;
  readonly tests: readonly BisectTestResult[];
  /** Why the run gave no result: the kernel did not boot, preflight failed, the run was incomplete. */
  readonly error?: string;
}

export type StepRole = 'good-end' | 'bad-end' | 'step';
export type StepVerdict = 'good' | 'bad' | 'skip';

export interface BisectStep {
  /** 0 and 1 are the ends' checks (good, bad); the search's steps follow. */
  readonly n: number;
  readonly role: StepRole;
  readonly commit: BisectCommit;
  readonly build: {
    readonly ms: number;
    readonly cacheHit: boolean;
    /** make alone, of ms (the rest: config check, artifacts, manifest). */
    readonly makeMs?: number;
    readonly release?: string;
    readonly artifact?: string;
    readonly error?: string;
  };
  readonly runs: readonly BisectRun[];
  readonly verdict: StepVerdict;
  /** Why a step is a skip, or what a bad step saw first. */
  readonly reason?: string;
  readonly finishedAt: string;
}

export type BisectOutcome =
  /** The first bad commit is known. */
  | 'found'
  /** Only skipped commits are left: the first bad commit is one of `candidates`. */
  | 'ambiguous'
  /** The test does not pass at good, or does not fail at bad: there is nothing to bisect. */
  | 'ends-disagree'
  /** The test fails only some runs at bad: a bisect would blame the wrong patch. */
  | 'flaky'
  | 'interrupted'
  /** Something outside the kernel under test failed (an end did not build or boot, the machine was lost). */
  | 'infrastructure'
  | 'running';

export interface BisectInfo {
  readonly id: string;
  readonly variant: string;
  readonly target: string;
  readonly tests: readonly string[];
  readonly runs: number;
  readonly good: BisectCommit;
  readonly bad: BisectCommit;
  /** Commits after good up to bad, and the most steps a search over them takes: ceil(log2(n+1)) + 1. */
  readonly commits: number;
  readonly maxSteps: number;
  readonly repo: string;
  readonly base?: string;
  readonly series?: { readonly version?: number; readonly messageId?: string; readonly subject?: string; readonly patches?: number };
  /** Where good and bad came from, with --from-history: the nights and their runs. */
  readonly fromHistory?: {
    readonly lastGood: { readonly night: string; readonly runId: string; readonly commit: string };
    readonly firstBad: { readonly night: string; readonly runId: string; readonly commit: string };
  };
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly outcome: BisectOutcome;
  /** What the outcome means, in one paragraph a maintainer can act on. */
  readonly message?: string;
}

export interface BisectFile {
  readonly schemaVersion: typeof BISECT_SCHEMA_VERSION;
  readonly bisect: BisectInfo;
  readonly steps: readonly BisectStep[];
  readonly firstBad?: BisectCommit;
  readonly candidates?: readonly BisectCommit[];
}

/** The lore.kernel.org link of a Message-Id, when it looks like one. */
export function loreLink(messageId: string | undefined): string | undefined {
  if (!messageId || !/^[^\s<>/@]+@[^\s<>/@]+$/.test(messageId)) return undefined;
  return `https://lore.kernel.org/r/${encodeURIComponent(messageId).replaceAll('%40', '@')}`;
}

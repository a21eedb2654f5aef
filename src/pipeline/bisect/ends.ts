import { commitsBetween, resolveCommit, type BisectSource } from '../../build/bisect-worktree.js';
import { git } from '../../build/git.js';
import { judgeStep, missedFailureChance } from '../../compare/bisect-verdict.js';
import type { LoadedConfig } from '../../config/load.js';
import type { BisectCommit, BisectInfo, BisectOutcome, BisectStep } from '../../model/bisect.js';
import { InputError } from '../../model/errors.js';
import type { ReplayedBisect } from './bisect-journal.js';
import type { BisectRequest } from './bisect-request.js';
import { endsFromHistory } from './from-history.js';

// The two ends of a bisect: where they come from (flags, the series, the nightly store, or the
// journal on resume) and whether they say what they must before any step is searched.

/** Ends the bisect with an outcome other than an answer. */
export class Stop {
  constructor(
    readonly outcome: BisectOutcome,
    readonly message: string,
  ) {}
}

export function shortCommit(c: BisectCommit): string {
  return `${c.commit.slice(0, 12)} ("${c.subject}")`;
}

export interface Ends {
  readonly good: string;
  readonly bad: string;
  /** The tests, as given or as --from-history named them. */
  readonly tests: readonly string[];
  readonly fromHistory?: BisectInfo['fromHistory'];
  /** The commits after good up to bad, oldest first. */
  readonly commits: readonly string[];
}

/** good and bad as full commits of the worktree: the journal's on resume, else the store's, the flags', or the series' own ends. */
export async function resolveEnds(
  source: BisectSource,
  request: BisectRequest,
  replayed: ReplayedBisect,
  context: { readonly variant: string; readonly loaded: LoadedConfig },
): Promise<Ends> {
  const history =
    !replayed.info && request.fromHistory
      ? await endsFromHistory(request.fromHistory.test, {
          ...(request.fromHistory.db ? { db: request.fromHistory.db } : {}),
          ...(request.fromHistory.gfx ? { gfx: request.fromHistory.gfx } : {}),
          variant: context.variant,
          loaded: context.loaded,
        })
      : undefined;
  const tests = request.tests.length > 0 ? request.tests : request.fromHistory ? [request.fromHistory.test] : [];
  const good = replayed.info?.good.commit ?? history?.good ?? (await resolveCommit(source, request.good ?? source.baseCommit, '--good'));
  const bad = replayed.info?.bad.commit ?? history?.bad ?? (await resolveCommit(source, request.bad ?? source.tip, '--bad'));
  for (const [end, commit] of [
    ['good', good],
    ['bad', bad],
  ] as const) {
    if ((await git(source.worktree, ['cat-file', '-e', `${commit}^{commit}`], { allowFail: true })).exitCode !== 0)
      throw new InputError(
        `the ${end} end ${commit.slice(0, 12)} is not a commit of ${context.variant}'s series in ${source.worktree}: the series or base changed since it was recorded; give --good and --bad`,
      );
  }
  const commits = await commitsBetween(source.worktree, good, bad);
  if (commits.length === 0) throw new InputError(`good and bad are the same commit (${good.slice(0, 12)}): nothing to bisect`);
  return { good, bad, tests, commits, ...(history ? { fromHistory: history.fromHistory } : {}) };
}

/** Runs per step that make a test failing `failed` of `runs` at bad show a failure at least 95 % of the time. */
function runsFor(failed: number, runs: number): number {
  const rate = failed / runs;
  return rate <= 0 ? runs : Math.max(runs, Math.ceil(Math.log(0.05) / Math.log(1 - rate)));
}

/** Stops unless the end says what it must: the test passes at good and fails (every run) at bad. */
export function checkEnd(step: BisectStep, tests: readonly string[], request: BisectRequest): void {
  const at = `${step.role === 'good-end' ? 'good' : 'bad'} ${shortCommit(step.commit)}`;
  const named = tests.join(', ');
  if (step.verdict === 'skip') throw new Stop('infrastructure', `the ${at} end could not be tested: ${step.reason}`);
  if (step.role === 'good-end') {
    if (step.verdict === 'bad')
      throw new Stop('ends-disagree', `the test does not pass at ${at}: ${step.reason}; the regression is older than this range — give an older --good`);
    return;
  }
  if (step.verdict === 'good')
    throw new Stop(
      'ends-disagree',
      `${named} passed all ${step.runs.length} runs at ${at}: nothing to bisect (another variant, GPU or configuration? a rare flake? raise --runs)`,
    );
  const judged = judgeStep(step.runs, request.runs);
  if (judged.failedRuns < judged.testedRuns && !request.acceptFlaky) {
    const suggest = runsFor(judged.failedRuns, judged.testedRuns);
    const miss = Math.round(missedFailureChance(judged.failedRuns, judged.testedRuns, request.runs) * 100);
    throw new Stop(
      'flaky',
      `${named} is flaky at ${at}: it failed ${judged.failedRuns} of ${judged.testedRuns} runs. With ${request.runs} runs per step a bad commit would pass as good about ${miss} % of the time, and the bisect would blame the wrong patch: run again with --runs ${suggest} (or --accept-flaky)`,
    );
  }
}

/** With --accept-flaky, how far a "good" step can be trusted. */
export function flakyNote(steps: readonly BisectStep[], request: BisectRequest): string {
  const bad = steps.find((s) => s.role === 'bad-end');
  if (!bad) return '';
  const judged = judgeStep(bad.runs, request.runs);
  if (judged.failedRuns >= judged.testedRuns) return '';
  const miss = Math.round(missedFailureChance(judged.failedRuns, judged.testedRuns, request.runs) * 100);
  return `; the test is flaky at bad (failed ${judged.failedRuns} of ${judged.testedRuns} runs): each good step may be a missed failure (about ${miss} %)`;
}

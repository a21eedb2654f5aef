import type { Gpu, Shard } from '../model/run.js';
import { MAX_TEST_NAME, testId, testNameProblem } from '../model/run.js';
import { balancedShards, globMatch, inShard, matchesAnyFilter } from '../model/selection.js';
import type { ResolvedSuite, ResultSource, SuiteAdapter } from '../suites/adapter.js';
import type { SuiteDefinition } from '../suites/definition.js';
import { adapterFor } from '../suites/registry.js';
import { resolveSuite, type SuiteContext } from '../suites/resolve.js';
import { loadSkipRules } from '../suites/skip-sources.js';
import type { ListedTest } from '../parsers/test-lists.js';
import type { Target } from '../targets/target.js';
import { InfraError, InputError } from '../model/errors.js';
import { compareRanks, orderRank, type TestHint } from '../model/order.js';

export type PlannedAction = 'run' | 'skip' | 'notrun';

export interface PlannedTest {
  readonly name: string;
  readonly action: PlannedAction;
  readonly reason?: string;
  /** With --order history: its group (model/order.ts); each group runs in batches of its own, in order. */
  readonly group?: number;
}

export interface PlannedSuite {
  readonly suite: ResolvedSuite;
  readonly adapter: SuiteAdapter;
  /** Where this suite's results come from (the framework's channel, its report file, or its console). */
  readonly resultSource: ResultSource;
  /** Set when the profile selects none of the suite's tests: why (a requested suite that runs nothing fails the run). */
  readonly empty?: string;
  /** Why the results come from where they do, when a reader must know (a console source). */
  readonly resultNote?: string;
  readonly tests: readonly PlannedTest[];
  /** What the selection did that a reader must know (a profile's fallback, a suite left empty). */
  readonly notes: readonly string[];
}

export interface Selection {
  readonly profile?: string;
  readonly filters: readonly string[];
  readonly shard?: Shard;
  /** Recorded durations (ms) by test id: shards are balanced by them instead of by hash. */
  readonly durations?: ReadonlyMap<string, number>;
  /** --order history: what the history store says about each test; the tests most likely to fail run first. */
  readonly order?: ReadonlyMap<string, TestHint>;
}

/** Orders a suite's tests by what the store says, and the suites by their first test (a stable sort: ties keep the suites' order). */
function ordered(planned: PlannedSuite[], hints: ReadonlyMap<string, TestHint>): PlannedSuite[] {
  const rankOf = (suite: string, name: string) => orderRank(hints.get(testId({ suite, name })));
  const suites = planned.map((p) => {
    const suite = p.suite.definition.name;
    const tests = p.tests
      .map((t) => ({ t, rank: rankOf(suite, t.name) }))
      .sort((a, b) => compareRanks(a.rank, b.rank))
      .map(({ t, rank }) => ({ ...t, group: rank.group }));
    const first = tests.find((t) => t.action === 'run');
    return { planned: { ...p, tests }, first: first ? rankOf(suite, first.name) : { group: Number.MAX_SAFE_INTEGER, key: ['', 0] as const } };
  });
  return suites.sort((a, b) => compareRanks(a.first, b.first)).map((s) => s.planned);
}

/**
 * The tests a profile selects, and a note when it had to use its `otherwise` list or selects
 * nothing at all: an empty suite is never run silently.
 */
function profileSelection(
  definition: SuiteDefinition,
  profile: string | undefined,
  listed: readonly ListedTest[],
): { tests: ListedTest[]; note?: string; empty?: boolean } {
  if (!profile || profile === 'full') return { tests: [...listed] };
  const entry = Object.hasOwn(definition.profiles, profile) ? definition.profiles[profile] : undefined;
  if (!entry) {
    const known = ['full', ...Object.keys(definition.profiles)].join(', ');
    throw new InputError(`--profile "${profile}": suite ${definition.name} has no such profile; known: ${known}`);
  }
  const pick = (globs: readonly string[]) => listed.filter((t) => globs.some((g) => globMatch(g, t.name)));
  const globs = Array.isArray(entry) ? entry : entry.tests;
  const tests = pick(globs);
  if (tests.length > 0 || Array.isArray(entry)) {
    return tests.length > 0
      ? { tests }
      : {
          tests,
          empty: true,
          note: `${definition.name}: profile ${profile} selects none of its ${listed.length} tests (${globs.join(', ')}); nothing of this suite runs`,
        };
  }
  const otherwise = pick(entry.otherwise);
  const why = `${definition.name}: this tree has none of the ${profile} tests (${entry.tests.join(', ')})`;
  return otherwise.length > 0
    ? { tests: otherwise, note: `${why}; profile ${profile} runs its nearest tests instead: ${entry.otherwise.join(', ')} (${otherwise.length})` }
    : { tests: [], empty: true, note: `${why} nor ${entry.otherwise.join(', ')}; nothing of this suite runs` };
}

/** Does the suite name the GPU family (`{gfx}`) where it is found: then it waits for the GPUs to be known. */
function namesGfx(definition: SuiteDefinition): boolean {
  const fields = [definition.command, definition.binary, definition.args, definition.dir, definition.cwd, Object.values(definition.env)];
  return fields.some((field) => (Array.isArray(field) ? field : [field]).some((part) => typeof part === 'string' && part.includes('{gfx}')));
}

interface SuiteListing {
  readonly planned: PlannedSuite;
  readonly listed: readonly ListedTest[];
  readonly selected: number;
}

/** One suite found, listed and selected from. */
async function planSuite(
  target: Target,
  definition: SuiteDefinition,
  suiteContext: (gpus: readonly Gpu[]) => SuiteContext,
  gpusAsked: Promise<readonly Gpu[]>,
  selection: Selection,
): Promise<SuiteListing> {
  // Listing needs the GPUs only where the suite's paths name their family: on an emulated guest,
  // every question asked before the listing is a round trip more before the first test.
  const suite = await resolveSuite(target, definition, suiteContext(namesGfx(definition) ? await gpusAsked : []));
  const adapter = adapterFor(definition.kind);
  const listing = await adapter.list(target, suite);
  const listed = listing.tests;
  for (const test of listed) {
    const problem = testNameProblem(test.name);
    if (problem)
      throw new InputError(`suite ${definition.name}: it lists a test whose name ${problem}; a test name holds no NUL and at most ${MAX_TEST_NAME} characters`);
  }
  if (listed.length === 0) throw new InfraError(`suite ${definition.name}: ${suite.dir ?? suite.command[0]} lists no tests; nothing of it could run`);
  const gpus = await gpusAsked;
  const skipRules = await loadSkipRules(target, definition, suiteContext(gpus), gpus);
  const tests: PlannedTest[] = [];
  const inProfile = profileSelection(definition, selection.profile, listed);
  const selected = inProfile.tests.filter(
    (test) => selection.filters.length === 0 || matchesAnyFilter(testId({ suite: definition.name, name: test.name }), selection.filters),
  );
  const balanced =
    selection.shard && selection.durations
      ? balancedShards(
          selected.map((t) => testId({ suite: definition.name, name: t.name })),
          selection.shard.total,
          selection.durations,
        )
      : undefined;
  for (const test of selected) {
    const id = testId({ suite: definition.name, name: test.name });
    if (selection.shard && (balanced ? balanced.get(id) !== selection.shard.index : !inShard(id, selection.shard))) continue;
    const rule = skipRules.find((r) => globMatch(r.pattern, test.name));
    if (test.disabled) tests.push({ name: test.name, action: 'notrun', reason: 'disabled in the suite' });
    else if (rule) tests.push({ name: test.name, action: 'skip', reason: rule.reason });
    else tests.push({ name: test.name, action: 'run' });
  }
  return {
    planned: {
      suite,
      adapter,
      resultSource: listing.resultSource,
      ...(listing.note ? { resultNote: listing.note } : {}),
      ...(inProfile.empty && inProfile.note ? { empty: inProfile.note } : {}),
      tests,
      notes: inProfile.note ? [inProfile.note] : [],
    },
    listed,
    selected: selected.length,
  };
}

/**
 * What will run: list each suite's tests on the target, then apply, in order, the profile,
 * --filter, the shard (those three decide what is *selected*), and the suite's own skip lists
 * and DISABLED_ tests (selected but not run, recorded as skip / notrun). The suites are listed
 * all at once (on a guest each listing is a program started under emulation); a suite that cannot
 * be listed stops the plan with its error (the first in the suites' order).
 */
export async function planSuites(
  target: Target,
  definitions: readonly SuiteDefinition[],
  suiteContext: (gpus: readonly Gpu[]) => SuiteContext,
  gpusAsked: Promise<readonly Gpu[]>,
  selection: Selection,
): Promise<PlannedSuite[]> {
  // Awaited by each suite when it needs the GPUs: a failure to find them is the plan's, never an unhandled rejection meanwhile.
  gpusAsked.catch(() => undefined);
  const settled = await Promise.allSettled(definitions.map((definition) => planSuite(target, definition, suiteContext, gpusAsked, selection)));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const listings = settled.map((s) => (s as PromiseFulfilledResult<SuiteListing>).value);
  const unmatched = new Set(selection.filters.filter((f) => !f.startsWith('-')));
  for (const [i, { listed }] of listings.entries()) {
    for (const filter of unmatched) {
      if (listed.some((test) => matchesAnyFilter(testId({ suite: definitions[i]!.name, name: test.name }), [filter]))) unmatched.delete(filter);
    }
  }
  const selectedCount = listings.reduce((sum, l) => sum + l.selected, 0);
  const first = listings.find((l) => l.listed[0]);
  const example = first ? `${first.planned.suite.definition.name}/${first.listed[0]!.name.split('.')[0]}.*` : undefined;
  const selectsNothing = unmatched.size > 0 ? [...unmatched] : selection.filters.length > 0 && selectedCount === 0 ? [...selection.filters] : [];
  if (selectsNothing.length > 0) {
    throw new InputError(
      `--filter ${selectsNothing.map((f) => `"${f}"`).join(' ')} selects no test of ${definitions.map((d) => d.name).join(', ')}; filters match suite/name, e.g. ${example ?? 'kfdtest/KFDSVMRangeTest.*'}`,
    );
  }
  const planned = listings.map((l) => l.planned);
  // The order never changes which tests run: only when.
  return selection.order ? ordered(planned, selection.order) : planned;
}

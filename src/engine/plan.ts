import type { Gpu, Shard } from '../model/run.js';
import { testId } from '../model/run.js';
import { balancedShards, globMatch, inShard, matchesAnyFilter } from '../model/selection.js';
import type { ResolvedSuite, SuiteAdapter } from '../suites/adapter.js';
import type { SuiteDefinition } from '../suites/definition.js';
import { adapterFor } from '../suites/registry.js';
import { resolveSuite, type SuiteContext } from '../suites/resolve.js';
import { loadSkipRules } from '../suites/skip-sources.js';
import type { Target } from '../targets/target.js';
import { InputError } from '../model/errors.js';

export type PlannedAction = 'run' | 'skip' | 'notrun';

export interface PlannedTest {
  readonly name: string;
  readonly action: PlannedAction;
  readonly reason?: string;
}

export interface PlannedSuite {
  readonly suite: ResolvedSuite;
  readonly adapter: SuiteAdapter;
  readonly tests: readonly PlannedTest[];
}

export interface Selection {
  readonly profile?: string;
  readonly filters: readonly string[];
  readonly shard?: Shard;
  /** Recorded durations (ms) by test id: shards are balanced by them instead of by hash. */
  readonly durations?: ReadonlyMap<string, number>;
}

function inProfile(definition: SuiteDefinition, profile: string | undefined, name: string): boolean {
  if (!profile || profile === 'full') return true;
  const globs = definition.profiles[profile];
  if (!globs) {
    const known = ['full', ...Object.keys(definition.profiles)].join(', ');
    throw new InputError(`--profile "${profile}": suite ${definition.name} has no such profile; known: ${known}`);
  }
  return globs.some((g) => globMatch(g, name));
}

/**
 * What will run: list each suite's tests on the target, then apply, in order, the profile,
 * --filter, the shard (those three decide what is *selected*), and the suite's own skip lists
 * and DISABLED_ tests (selected but not run, recorded as skip / notrun).
 */
export async function planSuites(
  target: Target,
  definitions: readonly SuiteDefinition[],
  context: SuiteContext,
  gpus: readonly Gpu[],
  selection: Selection,
): Promise<PlannedSuite[]> {
  const planned: PlannedSuite[] = [];
  const unmatched = new Set(selection.filters.filter((f) => !f.startsWith('-')));
  let example: string | undefined;
  let selectedCount = 0;
  for (const definition of definitions) {
    const suite = await resolveSuite(target, definition, context);
    const adapter = adapterFor(definition.kind);
    const listed = await adapter.list(target, suite);
    const skipRules = await loadSkipRules(target, definition, context, gpus);
    if (!example && listed[0]) example = `${definition.name}/${listed[0].name.split('.')[0]}.*`;
    for (const filter of unmatched) {
      if (listed.some((test) => matchesAnyFilter(testId({ suite: definition.name, name: test.name }), [filter]))) unmatched.delete(filter);
    }
    const tests: PlannedTest[] = [];
    const selected = listed.filter((test) => {
      const id = testId({ suite: definition.name, name: test.name });
      return inProfile(definition, selection.profile, test.name) && (selection.filters.length === 0 || matchesAnyFilter(id, selection.filters));
    });
    selectedCount += selected.length;
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
      else if (rule) tests.push({ name: test.name, action: 'skip', reason: `excluded by ${rule.source}` });
      else tests.push({ name: test.name, action: 'run' });
    }
    planned.push({ suite, adapter, tests });
  }
  const selectsNothing = unmatched.size > 0 ? [...unmatched] : selection.filters.length > 0 && selectedCount === 0 ? [...selection.filters] : [];
  if (selectsNothing.length > 0) {
    throw new InputError(
      `--filter ${selectsNothing.map((f) => `"${f}"`).join(' ')} selects no test of ${definitions.map((d) => d.name).join(', ')}; filters match suite/name, e.g. ${example ?? 'kfdtest/KFDSVMRangeTest.*'}`,
    );
  }
  return planned;
}

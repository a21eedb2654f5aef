import { join } from 'node:path';
import { compareRuns } from '../compare/compare-runs.js';
import { sameProof } from '../compare/same-proof.js';
import type { ComparisonFile, PerfSettings } from '../model/comparison.js';
import { InputError } from '../model/errors.js';
import { readRun } from '../model/run-file.js';
import { writeComparison } from '../model/run-file-write.js';
import type { RunFile } from '../model/run.js';
import { toolVersion } from '../model/version.js';
import { loadExpectations } from './load-expectations.js';
import { inputsOf } from './comparison-inputs.js';

export interface CompareRequest {
  readonly baseline: string;
  readonly candidate: string;
  readonly expectations?: string;
  /** Compare two runs with the same proof anyway; every report then says so first. */
  readonly allowSameVariant?: boolean;
  readonly out: string;
  readonly now: Date;
  /** How performance verdicts are decided (defaults: 5 %, 0.05, Holm). */
  readonly performance?: PerfSettings;
}

/** Suites built from different sources on the two sides: the difference may be the tests', not the kernel's. */
function suiteSourceWarning(baseline: RunFile, candidate: RunFile): string | undefined {
  const a = baseline.run.environment.userspace;
  const b = candidate.run.environment.userspace;
  if (!a && !b) return undefined;
  if (!a || !b) {
    const built = a ? 'baseline' : 'candidate';
    return `the ${built} ran suites svmtest built from source, the other side did not: the suites themselves may differ`;
  }
  const differ = a.components.flatMap((ca) => {
    const cb = b.components.find((c) => c.component === ca.component);
    return cb && cb.sourceHash !== ca.sourceHash ? [`${ca.component} (${ca.source} vs ${cb.source})`] : [];
  });
  const only = [...a.components, ...b.components].filter(
    (c) => !(a.components.some((x) => x.component === c.component) && b.components.some((x) => x.component === c.component)),
  );
  const names = [...differ, ...new Set(only.map((c) => `${c.component} (built on one side only)`))];
  return names.length > 0 ? `the two runs ran suites built from different sources: ${names.join(', ')}` : undefined;
}

/** Two saved runs → comparison.json, refusing comparisons that would prove nothing. */
export function compareSaved(request: CompareRequest): ComparisonFile {
  const baseline = readRun(request.baseline);
  const candidate = readRun(request.candidate);
  if (baseline.run.id === candidate.run.id) {
    throw new InputError(`${request.candidate}: is the same run as the baseline (id ${baseline.run.id}); comparing a run with itself proves nothing`);
  }
  const same = sameProof(baseline.run, candidate.run);
  if (same && !request.allowSameVariant) {
    throw new InputError(
      `${request.baseline} and ${request.candidate}: ${same}, so a comparison would report "no regressions" for the wrong reason; compare a baseline variant with a candidate (e.g. legacy and gpusvm), or pass --allow-same-variant`,
    );
  }
  const sources = suiteSourceWarning(baseline, candidate);
  const warnings = [
    ...(same ? [`--allow-same-variant: ${same}; these verdicts do not compare two SVM implementations`] : []),
    ...(sources ? [sources] : []),
    // A run's own doubts (a DUT whose host key was not checked) are the comparison's too.
    ...[baseline, candidate].flatMap((r) => (r.run.warnings ?? []).map((w) => `${r.run.variant}: ${w}`)),
  ];
  const comparison = compareRuns(baseline, candidate, {
    expectations: loadExpectations(request.expectations, candidate),
    now: request.now,
    toolVersion: toolVersion(),
    warnings,
    ...(request.performance ? { performance: request.performance } : {}),
  });
  const saved: ComparisonFile = { ...comparison, inputs: inputsOf(request.baseline, request.candidate, request.expectations, request.out) };
  writeComparison(join(request.out, 'comparison.json'), saved);
  return saved;
}

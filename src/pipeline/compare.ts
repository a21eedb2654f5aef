import { join } from 'node:path';
import { compareRuns } from '../compare/compare-runs.js';
import { sameProof } from '../compare/same-proof.js';
import type { ComparisonFile } from '../model/comparison.js';
import { InputError } from '../model/errors.js';
import { readRun, writeComparison } from '../model/run-file.js';
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
  const warnings = [
    ...(same ? [`--allow-same-variant: ${same}; these verdicts do not compare two SVM implementations`] : []),
    // A run's own doubts (a DUT whose host key was not checked) are the comparison's too.
    ...[baseline, candidate].flatMap((r) => (r.run.warnings ?? []).map((w) => `${r.run.variant}: ${w}`)),
  ];
  const comparison = compareRuns(baseline, candidate, {
    expectations: loadExpectations(request.expectations, candidate),
    now: request.now,
    toolVersion: toolVersion(),
    warnings,
  });
  const saved: ComparisonFile = { ...comparison, inputs: inputsOf(request.baseline, request.candidate, request.expectations, request.out) };
  writeComparison(join(request.out, 'comparison.json'), saved);
  return saved;
}

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { compareRuns } from '../compare/compare-runs.js';
import type { ComparisonFile, ComparisonInputs, InputRef } from '../model/comparison.js';
import { InputError } from '../model/errors.js';
import { readResult, readRun } from '../model/run-file.js';
import { testId, type RunFile } from '../model/run.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import { loadExpectations } from './load-expectations.js';

/** The run.json a path names (a run directory or the file itself). */
export function runFileOf(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, 'run.json') : path;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Relative to the comparison's directory when inside it, so a moved report directory still finds its runs. */
function refOf(file: string, comparisonDir: string): InputRef {
  const rel = relative(comparisonDir, resolve(file));
  return { path: rel.startsWith('..') || isAbsolute(rel) ? resolve(file) : rel, sha256: sha256(file) };
}

export function inputsOf(baseline: string, candidate: string, expectations: string | undefined, comparisonDir: string): ComparisonInputs {
  return {
    baseline: refOf(runFileOf(baseline), comparisonDir),
    candidate: refOf(runFileOf(candidate), comparisonDir),
    ...(expectations ? { expectations: resolve(expectations) } : {}),
  };
}

/**
 * A saved comparison, checked against the runs it names: same files (by digest), same verdicts
 * when computed again. A comparison that disagrees is refused; one whose runs are gone is shown
 * with a warning that its verdicts could not be re-checked.
 */
/** A saved run or comparison as `report` shows it: a comparison re-checked against its runs first. */
export function readCheckedResult(path: string): ReturnType<typeof readResult> {
  const result = readResult(path);
  if (result.kind !== 'comparison') return result;
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'comparison.json') : path;
  return { kind: 'comparison', comparison: recheckComparison(result.comparison, file).comparison };
}

export interface RecheckedRun {
  readonly file: string;
  readonly run: RunFile;
}

/**
 * The comparison as shown (with a warning first when it could not be re-checked), and — when it
 * could — the two runs it was checked against, read once for whoever needs them next.
 */
export function recheckComparison(
  comparison: ComparisonFile,
  comparisonFile: string,
): { comparison: ComparisonFile; runs?: { baseline: RecheckedRun; candidate: RecheckedRun } } {
  const unchecked = (why: string) => ({
    comparison: { ...comparison, warnings: [`the verdicts could not be re-checked: ${why}`, ...(comparison.warnings ?? [])] },
  });
  const inputs = comparison.inputs;
  if (!inputs) return unchecked('this comparison does not name the runs it was made from');
  const dir = dirname(resolve(comparisonFile));
  const where = (ref: InputRef) => (isAbsolute(ref.path) ? ref.path : join(dir, ref.path));
  for (const ref of [inputs.baseline, inputs.candidate]) {
    if (!existsSync(where(ref))) return unchecked(`${neutralizeLine(where(ref))} is not there`);
    if (sha256(where(ref)) !== ref.sha256) {
      throw new InputError(
        `${comparisonFile}: ${neutralizeLine(where(ref))} changed since the comparison was made (its SHA-256 differs); run svmtest compare again`,
      );
    }
  }
  if (inputs.expectations && !existsSync(inputs.expectations)) return unchecked(`the expectations ${neutralizeLine(inputs.expectations)} are not there`);
  const baseline = readRun(where(inputs.baseline));
  const candidate = readRun(where(inputs.candidate));
  const runs = { baseline: { file: where(inputs.baseline), run: baseline }, candidate: { file: where(inputs.candidate), run: candidate } };
  const again = compareRuns(baseline, candidate, {
    expectations: loadExpectations(inputs.expectations, candidate),
    now: new Date(comparison.createdAt),
    toolVersion: comparison.toolVersion,
    ...(comparison.performance ? { performance: comparison.performance.settings } : {}),
  });
  const saved = new Map(comparison.entries.map((e) => [testId(e), e]));
  for (const entry of again.entries) {
    const id = testId(entry);
    const was = saved.get(id);
    saved.delete(id);
    if (was?.verdict !== entry.verdict || was.candidate?.status !== entry.candidate?.status || was.baseline?.status !== entry.baseline?.status) {
      throw new InputError(
        `${comparisonFile}: ${neutralizeLine(id)} is ${was ? `"${was.verdict}"` : 'absent'} in the comparison, but its runs and expectations give "${entry.verdict}"; the file was edited — run svmtest compare again`,
      );
    }
  }
  // The performance verdicts come from the same samples with the same settings (the bootstrap is seeded).
  const perf = (c: ComparisonFile) => JSON.stringify((c.performance?.changes ?? []).map((p) => [p.suite, p.name, p.metric, p.verdict]));
  if (perf(again) !== perf(comparison))
    throw new InputError(`${comparisonFile}: its performance verdicts are not what its runs give; the file was edited — run svmtest compare again`);
  const extra = saved.keys().next();
  if (!extra.done) throw new InputError(`${comparisonFile}: ${neutralizeLine(extra.value)} is in the comparison but in neither run; the file was edited`);
  for (const [verdict, n] of Object.entries(again.counts)) {
    if ((comparison.counts[verdict as keyof typeof comparison.counts] ?? 0) !== n)
      throw new InputError(`${comparisonFile}: counts.${verdict} is not what its entries and runs give (${n}); the file was edited`);
  }
  return { comparison, runs };
}

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compareRuns } from '../compare/compare-runs.js';
import { expectationFileNames, NO_EXPECTATIONS, parseExpectations, type Expectations } from '../compare/expectations.js';
import { REGRESSION_VERDICTS, UNEXPECTED_VERDICTS, type ComparisonFile } from '../model/comparison.js';
import { InputError } from '../model/errors.js';
import type { RunFile } from '../model/run.js';
import { readRun, writeComparison } from '../model/run-file.js';
import { toolVersion } from '../model/version.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { renderReports, timestampDir } from './reporting.js';
import { note } from './screen.js';

export type FailOn = 'regression' | 'unexpected' | 'never';

export interface CompareCommandOptions {
  expectations?: string;
  reporter: string;
  out?: string;
  failOn: string;
}

export function loadExpectations(dir: string | undefined, candidate: RunFile): Expectations {
  if (!dir) return NO_EXPECTATIONS;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`--expectations ${dir}: not a directory`);
  const wanted = expectationFileNames(candidate.run.variant, candidate.run.environment.gpus.map((g) => g.gfx));
  const present = new Set(readdirSync(dir));
  const files = wanted.filter((name) => present.has(name)).map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
  return parseExpectations(files);
}

export function parseFailOn(value: string): FailOn {
  if (value === 'regression' || value === 'unexpected' || value === 'never') return value;
  throw new InputError(`--fail-on "${value}": expected regression, unexpected or never`);
}

/** Exit code of a comparison: infrastructure first, then the verdicts that --fail-on selects. */
export function comparisonExitCode(comparison: ComparisonFile, failOn: FailOn): ExitCode {
  if (comparison.errors.length > 0 || comparison.baseline.status !== 'complete' || comparison.candidate.status !== 'complete') return EXIT.infra;
  if (failOn === 'never') return EXIT.ok;
  const failing = failOn === 'regression' ? REGRESSION_VERDICTS : UNEXPECTED_VERDICTS;
  return comparison.entries.some((e) => failing.has(e.verdict) && !e.excluded) ? EXIT.unexpected : EXIT.ok;
}

export async function compareCommand(baselinePath: string, candidatePath: string, options: CompareCommandOptions): Promise<ExitCode> {
  const failOn = parseFailOn(options.failOn);
  const baseline = readRun(baselinePath);
  const candidate = readRun(candidatePath);
  if (baseline.run.id === candidate.run.id) {
    throw new InputError(`${candidatePath}: is the same run as the baseline (id ${baseline.run.id}); comparing a run with itself proves nothing`);
  }
  const expectations = loadExpectations(options.expectations, candidate);
  const comparison = compareRuns(baseline, candidate, { expectations, now: new Date(), toolVersion: toolVersion() });
  const outDir = options.out ?? timestampDir('reports', 'compare', new Date());
  writeComparison(join(outDir, 'comparison.json'), comparison);
  await renderReports({ kind: 'comparison', comparison }, options.reporter, outDir);
  note(`reports in ${outDir}`);
  return comparisonExitCode(comparison, failOn);
}

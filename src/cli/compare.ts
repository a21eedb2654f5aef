import { comparisonExitCode, type FailOn } from '../compare/exit-policy.js';
import type { ExitCode } from '../model/exit-codes.js';
import { compareSaved } from '../pipeline/compare.js';
import { timestampDir } from '../pipeline/run-dir.js';
import { renderReports } from './render-on-screen.js';
import { note } from './screen.js';
import { perfSettingsOf } from './perf-flags.js';

export interface CompareFlags {
  expectations?: string;
  reporter: string;
  out?: string;
  failOn: FailOn;
  allowSameVariant?: boolean;
  perfThreshold?: number;
  perfMinMs?: number;
  perfAlpha?: number;
  perfCorrection?: 'holm' | 'bh';
}

export async function compareCommand(baseline: string, candidate: string, flags: CompareFlags): Promise<ExitCode> {
  const now = new Date();
  const out = flags.out ?? timestampDir('reports', 'compare', now);
  const comparison = compareSaved({
    baseline,
    candidate,
    ...(flags.expectations ? { expectations: flags.expectations } : {}),
    ...(flags.allowSameVariant ? { allowSameVariant: true } : {}),
    out,
    now,
    performance: perfSettingsOf(flags),
  });
  await renderReports({ kind: 'comparison', comparison }, flags.reporter, out);
  note(`reports in ${out}`);
  return comparisonExitCode(comparison, flags.failOn);
}

import type { PerfChange, PerformanceSection } from '../model/comparison.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import { testLabel } from './view.js';

/** The changes a report lists: the significant ones only, slower first, then by size of change. */
export function significantChanges(section: PerformanceSection | undefined): PerfChange[] {
  if (!section) return [];
  const size = (c: PerfChange) => Math.abs(Math.log(c.ratio ?? 1));
  return section.changes.filter((c) => c.verdict !== 'same').sort((a, b) => (a.verdict === b.verdict ? size(b) - size(a) : a.verdict === 'slower' ? -1 : 1));
}

const fixed = (n: number | null, digits = 2) => (n === null ? '–' : n.toFixed(digits));

/** `1.31× [1.24, 1.38]`: the ratio of medians (candidate / baseline) and its 95 % interval. */
export function ratioText(change: PerfChange): string {
  return `${fixed(change.ratio)}× [${fixed(change.low)}, ${fixed(change.high)}]`;
}

export function pText(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : p.toPrecision(2);
}

/** What a change measured, e.g. `duration`, `From Pool 0 To Pool 1 (Host-To-Device) 64K bandwidth (GB/s)`. */
export function measureText(change: PerfChange): string {
  return `${neutralizeLine(change.metric)} (${neutralizeLine(change.unit)}, ${change.better} is better)`;
}

/** One line per significant change, for the terminal and plain logs. */
export function perfLine(change: PerfChange): string {
  const median = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
  return `${change.verdict.toUpperCase()} ${testLabel(change)} ${measureText(change)}: ${ratioText(change)}, median ${median(change.baseline.median)} → ${median(change.candidate.median)}, p ${pText(change.pAdjusted)} (${change.baseline.samples.length}+${change.candidate.samples.length} samples)`;
}

/** The settings and counts line every report starts its performance section with. */
export function perfSummary(section: PerformanceSection): string {
  const { settings, counts } = section;
  return `${counts.slower} slower, ${counts.faster} faster, ${counts.same} without a significant change of ${Math.round(settings.threshold * 1000) / 10}% or more${settings.minDurationChangeMs ? ` (for a duration, and ${settings.minDurationChangeMs} ms or more)` : ''} (Mann-Whitney U, ${settings.correction === 'holm' ? 'Holm' : 'Benjamini-Hochberg'}-corrected p < ${settings.alpha}; 95% bootstrap interval of the ratio of medians)`;
}

import type { ComparisonEntry, Verdict } from '../model/comparison.js';
import { VERDICTS } from '../model/comparison.js';
import type { KernelEvent } from '../model/kernel-event.js';
import type { RunKernelEvent, TestResult } from '../model/run.js';
import { STATUSES, type Status } from '../model/status.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import type { SavedResult } from './types.js';

// Shared, presentation-only helpers: reporters show verdicts, they never decide them.

export const VERDICT_LABEL: Record<Verdict, string> = {
  regression: 'regression',
  worse: 'worse (fail → crash or timeout)',
  'new-fail': 'new failure',
  missing: 'missing',
  'unexpected-pass': 'unexpected pass',
  flaky: 'flaky',
  fixed: 'fixed',
  'still-failing': 'still failing',
  'expected-fail': 'expected failure',
  'new-pass': 'new pass',
  pass: 'pass',
  skip: 'skip',
  'known-gap': 'known gap (a feature the series does not have yet)',
  'gap-closed': 'gap closed (the feature seems to have landed)',
};

/** Entries worth a line each in a summary: what changed for the worse, then what needs a look. */
export const NOTABLE_VERDICTS: readonly Verdict[] = ['regression', 'worse', 'new-fail', 'missing', 'unexpected-pass', 'gap-closed', 'flaky', 'fixed'];

export function notableEntries(entries: readonly ComparisonEntry[]): ComparisonEntry[] {
  const rank = new Map(NOTABLE_VERDICTS.map((v, i) => [v, i]));
  return entries.filter((e) => rank.has(e.verdict) && !e.excluded).sort((a, b) => rank.get(a.verdict)! - rank.get(b.verdict)!);
}

/** The first non-empty line of untrusted text, bounded and safe to print. */
export function firstLine(text: string | undefined, max = 160): string {
  const line =
    (text ?? '')
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  return neutralizeLine(line.length > max ? `${line.slice(0, max - 1)}…` : line);
}

/** `suite/name` of a test (untrusted), safe to print on one line. */
export function testLabel(test: { suite: string; name: string }): string {
  return neutralizeLine(`${test.suite}/${test.name}`);
}

export function describeEvents(events: readonly KernelEvent[] | undefined): string {
  if (!events || events.length === 0) return '';
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => (n > 1 ? `${kind} ×${n}` : kind)).join(', ');
}

export function verdictCounts(counts: Readonly<Record<Verdict, number>>): Array<[Verdict, number]> {
  return VERDICTS.map((v) => [v, counts[v]] as [Verdict, number]).filter(([, n]) => n > 0);
}

export function statusCounts(tests: readonly TestResult[]): Array<[Status, number]> {
  const counts = new Map<Status, number>();
  for (const t of tests) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  return STATUSES.map((s) => [s, counts.get(s) ?? 0] as [Status, number]).filter(([, n]) => n > 0);
}

export function title(result: SavedResult): string {
  if (result.kind === 'comparison') {
    const c = result.comparison;
    return `${c.baseline.variant} (baseline) vs ${c.candidate.variant} (candidate)`;
  }
  return `run ${result.run.run.variant} (${result.run.run.target}, ${result.run.run.status})`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

// Kernel records outside any test are listed up to this many in a report; the rest stay in the file.
export const OUTSIDE_LIMIT = 10;

/**
 * One line per kernel record logged outside any test (the batch's): which side, where in the run,
 * what kind, its summary — bounded and neutralised like every string from a machine under test.
 */
export function outsideLines(events: ReadonlyArray<RunKernelEvent & { readonly side?: string }> | undefined): string[] {
  if (!events || events.length === 0) return [];
  const lines = events
    .slice(0, OUTSIDE_LIMIT)
    .map((e) => `${e.side ? `${e.side}, ` : ''}${neutralizeLine(e.context)}: ${e.event.kind} — ${firstLine(e.event.summary, 160)}`);
  if (events.length > OUTSIDE_LIMIT) lines.push(`… and ${events.length - OUTSIDE_LIMIT} more in the file`);
  return lines;
}

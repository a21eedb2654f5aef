import { Chalk, type ChalkInstance } from 'chalk';
import { UNEXPECTED_VERDICTS, type ComparisonFile, type Verdict } from '../model/comparison.js';
import type { RunFile } from '../model/run.js';
import { isFailing } from '../model/status.js';
import type { Reporter, Screen } from './types.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import { perfLine, perfSummary, significantChanges } from './perf-view.js';
import { describeEvents, firstLine, notableEntries, outsideLines, statusCounts, testLabel, VERDICT_LABEL, verdictCounts } from './view.js';

const LIST_LIMIT = 50;

function paint(screen: Screen): ChalkInstance {
  return new Chalk({ level: screen.color ? 1 : 0 });
}

function verdictColor(c: ChalkInstance, verdict: Verdict): (s: string) => string {
  if (UNEXPECTED_VERDICTS.has(verdict)) return c.red;
  if (verdict === 'flaky' || verdict === 'still-failing' || verdict === 'expected-fail') return c.yellow;
  if (verdict === 'fixed' || verdict === 'new-pass' || verdict === 'pass') return c.green;
  return c.dim;
}

function renderComparison(comparison: ComparisonFile, screen: Screen): void {
  const c = paint(screen);
  const out: string[] = [];
  const { baseline, candidate } = comparison;
  for (const warning of comparison.warnings ?? []) out.push(c.yellow.bold(`WARNING: ${neutralizeLine(warning)}`));
  out.push(
    c.bold(
      `svmtest: ${neutralizeLine(baseline.variant)} (baseline, ${baseline.testCount} tests) vs ${neutralizeLine(candidate.variant)} (candidate, ${candidate.testCount} tests)`,
    ),
  );
  for (const e of comparison.errors) out.push(c.red(`  infrastructure error in ${e.side} (${neutralizeLine(e.stage)}): ${firstLine(e.message)}`));
  const counts = verdictCounts(comparison.counts);
  const width = Math.max(...counts.map(([v]) => VERDICT_LABEL[v].length), 8);
  for (const [verdict, n] of counts) out.push(`  ${verdictColor(c, verdict)(VERDICT_LABEL[verdict].padEnd(width))} ${String(n).padStart(7)}`);
  const excluded = comparison.entries.filter((e) => e.excluded).length;
  if (excluded > 0) out.push(c.dim(`  (${excluded} baseline tests not selected in the candidate run are not counted)`));

  const notable = notableEntries(comparison.entries);
  if (notable.length > 0) out.push('');
  for (const entry of notable.slice(0, LIST_LIMIT)) {
    const side = entry.candidate ?? entry.baseline;
    const from = entry.baseline ? entry.baseline.status : 'absent';
    const to = entry.candidate ? entry.candidate.status : 'absent';
    out.push(`${verdictColor(c, entry.verdict)(VERDICT_LABEL[entry.verdict].toUpperCase())} ${testLabel(entry)} ${c.dim(`(${from} → ${to})`)}`);
    const message = firstLine(entry.candidate?.message ?? (isFailing(side!.status) ? side!.message : undefined));
    if (message) out.push(`    ${message}`);
    const events = describeEvents(entry.candidate?.kernelEvents);
    if (events) out.push(c.magenta(`    kernel: ${events} — ${firstLine(entry.candidate!.kernelEvents![0]!.summary, 120)}`));
    if (entry.note) out.push(c.dim(`    ${firstLine(entry.note, 300)}`));
  }
  if (notable.length > LIST_LIMIT) out.push(c.dim(`… and ${notable.length - LIST_LIMIT} more (see the JSON or Markdown report)`));
  // Apart from regressions: features the series says it does not have yet.
  const gaps = comparison.entries.filter((e) => e.verdict === 'known-gap');
  if (gaps.length > 0)
    out.push('', c.dim(`${gaps.length} known gap${gaps.length === 1 ? '' : 's'} (failures the series declares, not regressions): see the Markdown report`));
  if (comparison.performance) {
    out.push('', c.bold(`performance: ${perfSummary(comparison.performance)}`));
    const changes = significantChanges(comparison.performance);
    for (const change of changes.slice(0, LIST_LIMIT)) out.push((change.verdict === 'slower' ? c.red : c.green)(perfLine(change)));
    if (changes.length > LIST_LIMIT) out.push(c.dim(`… and ${changes.length - LIST_LIMIT} more (see comparison.json)`));
  }
  const outside = outsideLines(comparison.kernelEvents);
  if (outside.length > 0) out.push('', c.magenta('kernel records outside any test:'), ...outside.map((l) => c.magenta(`  ${l}`)));
  screen.write(`${out.join('\n')}\n`);
}

function renderRun(run: RunFile, screen: Screen): void {
  const c = paint(screen);
  const out: string[] = [
    c.bold(`svmtest: run ${neutralizeLine(run.run.id)} — variant ${neutralizeLine(run.run.variant)} on ${run.run.target}, ${run.run.status}`),
  ];
  for (const warning of run.run.warnings ?? []) out.push(c.yellow.bold(`WARNING: ${neutralizeLine(warning)}`));
  for (const check of run.run.preflight ?? []) {
    if (!check.ok)
      out.push(c.red(`  preflight ${neutralizeLine(check.name)}: expected ${firstLine(check.expected, 300)}, found ${firstLine(check.found, 300)}`));
  }
  // A failed preflight check is shown once, above: its error says the same.
  const shownChecks = new Set((run.run.preflight ?? []).filter((k) => !k.ok).map((k) => `${k.name}: expected ${k.expected}, found ${k.found}`));
  for (const e of run.errors) {
    if (e.stage === 'preflight' && shownChecks.has(e.message)) continue;
    out.push(c.red(`  infrastructure error (${neutralizeLine(e.stage)}): ${firstLine(e.message)}`));
  }
  out.push(
    `  ${
      statusCounts(run.tests)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ') || 'no tests'
    }`,
  );
  const failing = run.tests.filter((t) => isFailing(t.status));
  for (const t of failing.slice(0, LIST_LIMIT)) {
    out.push(`${c.red(t.status.toUpperCase())} ${testLabel(t)}`);
    const message = firstLine(t.message);
    if (message) out.push(`    ${message}`);
    const events = describeEvents(t.kernelEvents);
    if (events) out.push(c.magenta(`    kernel: ${events}`));
  }
  if (failing.length > LIST_LIMIT) out.push(c.dim(`… and ${failing.length - LIST_LIMIT} more`));
  const outside = outsideLines(run.kernelEvents);
  if (outside.length > 0) out.push(c.magenta('kernel records outside any test:'), ...outside.map((l) => c.magenta(`  ${l}`)));
  screen.write(`${out.join('\n')}\n`);
}

export const terminalReporter: Reporter = {
  name: 'terminal',
  description: 'a summary table and the regressions with their messages and kernel events',
  render(result, { screen }) {
    if (result.kind === 'comparison') renderComparison(result.comparison, screen);
    else renderRun(result.run, screen);
    return [];
  },
};

import { measureText, perfSummary, pText, ratioText, significantChanges } from './perf-view.js';
import { join, resolve } from 'node:path';
import { appendToRegularFile, writeFileAtomic } from '../model/json-file.js';
import type { ComparisonEntry, ComparisonFile } from '../model/comparison.js';
import type { RunFile } from '../model/run.js';
import { isFailing } from '../model/status.js';
import { neutralize } from '../model/untrusted-text.js';
import type { Reporter } from './types.js';
import { describeEvents, firstLine, notableEntries, outsideLines, statusCounts, VERDICT_LABEL, verdictCounts } from './view.js';

// GitHub's step summary takes at most 1 MiB per step: a bounded list, bounded cells, and a cut with a note.
const LIST_LIMIT = 200;
const CELL_LIMIT = 400;
export const STEP_SUMMARY_LIMIT = 1024 * 1024;

/** Markdown-escape untrusted text placed in a table cell or inline: one line, bounded, no markup. */
export function escapeMarkdown(text: string): string {
  const line = text.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
  const bounded = line.length > CELL_LIMIT ? `${line.slice(0, CELL_LIMIT - 1)}…` : line;
  return neutralize(bounded).replace(/[\\`*_{}[\]<>()#+!|~]/g, '\\$&');
}

/** The text cut at a line boundary to fit `budget` bytes, with a note saying where the rest is. */
export function fitSummary(text: string, budget: number, fullReport: string): string {
  if (Buffer.byteLength(text) <= budget) return text;
  const note = `\n> Summary cut at ${Math.floor(budget / 1024)} KiB (GitHub's step-summary limit); the full report is ${escapeMarkdown(fullReport)}\n`;
  const cut = Buffer.from(text)
    .subarray(0, Math.max(0, budget - Buffer.byteLength(note)))
    .toString('utf8');
  return `${cut.slice(0, cut.lastIndexOf('\n') + 1)}${note}`;
}

/** Known gaps, apart from regressions, each with why the series says so. */
function gapSection(entries: readonly ComparisonEntry[]): string[] {
  const gaps = entries.filter((e) => e.verdict === 'known-gap');
  if (gaps.length === 0) return [];
  return [
    '',
    `<details><summary>${gaps.length} known gap${gaps.length === 1 ? '' : 's'}: failures of features the series does not have yet (not regressions)</summary>`,
    '',
    '| test | candidate | why |',
    '|---|---|---|',
    ...gaps
      .slice(0, LIST_LIMIT)
      .map((e) => `| ${escapeMarkdown(`${e.suite}/${e.name}`)} | ${e.candidate?.status ?? '—'} | ${escapeMarkdown(firstLine(e.note, 300))} |`),
    ...(gaps.length > LIST_LIMIT ? ['', `… and ${gaps.length - LIST_LIMIT} more in comparison.json.`] : []),
    '',
    '</details>',
  ];
}

function outsideSection(events: Parameters<typeof outsideLines>[0]): string[] {
  const lines = outsideLines(events);
  return lines.length > 0 ? ['', "**Kernel records outside any test** (the batch's, not a test's):", '', ...lines.map((l) => `- ${escapeMarkdown(l)}`)] : [];
}

/** The significant performance changes, after the verdicts (every sample is in comparison.json). */
function performanceSection(section: ComparisonFile['performance']): string[] {
  if (!section) return [];
  const changes = significantChanges(section);
  return [
    '',
    '### Performance',
    '',
    escapeMarkdown(perfSummary(section)),
    ...(changes.length > 0
      ? [
          '',
          '| verdict | test | measure | candidate / baseline [95% CI] | medians | corrected p |',
          '|---|---|---|---|---|---:|',
          ...changes
            .slice(0, LIST_LIMIT)
            .map(
              (ch) =>
                `| ${ch.verdict} | ${escapeMarkdown(`${ch.suite}/${ch.name}`)} | ${escapeMarkdown(measureText(ch))} | ${ratioText(ch)} | ${ch.baseline.median.toPrecision(3)} → ${ch.candidate.median.toPrecision(3)} | ${pText(ch.pAdjusted)} |`,
            ),
          ...(changes.length > LIST_LIMIT ? ['', `… and ${changes.length - LIST_LIMIT} more in comparison.json.`] : []),
        ]
      : []),
  ];
}

function comparisonMarkdown(c: ComparisonFile): string {
  const lines = [
    ...(c.warnings ?? []).flatMap((w) => [`> **Warning:** ${escapeMarkdown(w)}`, '']),
    `## svmtest: ${escapeMarkdown(c.candidate.variant)} vs ${escapeMarkdown(c.baseline.variant)}`,
    '',
    `Baseline **${escapeMarkdown(c.baseline.variant)}** (${c.baseline.testCount} tests${c.baseline.kernelRelease ? `, kernel ${escapeMarkdown(c.baseline.kernelRelease)}` : ''}) · ` +
      `candidate **${escapeMarkdown(c.candidate.variant)}** (${c.candidate.testCount} tests${c.candidate.kernelRelease ? `, kernel ${escapeMarkdown(c.candidate.kernelRelease)}` : ''})`,
    '',
  ];
  for (const e of c.errors)
    lines.push(`> **Infrastructure error** in ${e.side} (${escapeMarkdown(e.stage)}): ${escapeMarkdown(firstLine(e.message, 300))}`, '');
  lines.push('| verdict | tests |', '|---|---:|');
  for (const [verdict, n] of verdictCounts(c.counts)) lines.push(`| ${VERDICT_LABEL[verdict]} | ${n} |`);
  const notable = notableEntries(c.entries);
  if (notable.length > 0) {
    lines.push('', '| verdict | test | baseline → candidate | first failure | kernel |', '|---|---|---|---|---|');
    for (const e of notable.slice(0, LIST_LIMIT)) {
      lines.push(
        `| ${VERDICT_LABEL[e.verdict]} | ${escapeMarkdown(`${e.suite}/${e.name}`)} | ${e.baseline?.status ?? '—'} → ${e.candidate?.status ?? '—'} | ${escapeMarkdown(firstLine(e.candidate?.message ?? e.note, 200))} | ${escapeMarkdown(describeEvents(e.candidate?.kernelEvents))} |`,
      );
    }
    if (notable.length > LIST_LIMIT) lines.push('', `… and ${notable.length - LIST_LIMIT} more in comparison.json.`);
  }
  lines.push(...performanceSection(c.performance));
  lines.push(...gapSection(c.entries));
  lines.push(...outsideSection(c.kernelEvents));
  return `${lines.join('\n')}\n`;
}

function runMarkdown(r: RunFile): string {
  const lines = [
    `## svmtest run: ${escapeMarkdown(r.run.variant)} (${r.run.target}, ${r.run.status})`,
    '',
    statusCounts(r.tests)
      .map(([s, n]) => `${n} ${s}`)
      .join(' · ') || 'no tests',
    '',
    ...(r.run.warnings ?? []).flatMap((w) => [`> **Warning:** ${escapeMarkdown(w)}`, '']),
  ];
  for (const e of r.errors) lines.push(`> **Infrastructure error** (${escapeMarkdown(e.stage)}): ${escapeMarkdown(firstLine(e.message, 300))}`, '');
  const failing = r.tests.filter((t) => isFailing(t.status));
  if (failing.length > 0) {
    lines.push('| status | test | first failure | kernel |', '|---|---|---|---|');
    for (const t of failing.slice(0, LIST_LIMIT)) {
      lines.push(
        `| ${t.status} | ${escapeMarkdown(`${t.suite}/${t.name}`)} | ${escapeMarkdown(firstLine(t.message, 200))} | ${escapeMarkdown(describeEvents(t.kernelEvents))} |`,
      );
    }
  }
  lines.push(...outsideSection(r.kernelEvents));
  return `${lines.join('\n')}\n`;
}

export const markdownReporter: Reporter = {
  name: 'markdown',
  description: 'a Markdown summary (summary.md in --out; appended to $GITHUB_STEP_SUMMARY when set)',
  render(result, { screen, outDir }) {
    const text = result.kind === 'comparison' ? comparisonMarkdown(result.comparison) : runMarkdown(result.run);
    const written: string[] = [];
    let fullReport = result.kind === 'comparison' ? 'comparison.json' : 'run.json';
    if (outDir) {
      const file = join(outDir, 'summary.md');
      writeFileAtomic(file, text);
      written.push(file);
      fullReport = resolve(file);
    }
    const stepSummary = screen.env.GITHUB_STEP_SUMMARY;
    if (stepSummary) {
      // The limit is per step: what earlier commands of the step appended counts too.
      appendToRegularFile(stepSummary, '$GITHUB_STEP_SUMMARY', (size) => fitSummary(text, Math.max(0, STEP_SUMMARY_LIMIT - size - 1024), fullReport));
      written.push(stepSummary);
    }
    if (written.length === 0) screen.write(text);
    return written;
  },
};

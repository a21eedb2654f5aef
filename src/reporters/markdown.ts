import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComparisonFile } from '../model/comparison.js';
import type { RunFile } from '../model/run.js';
import { isFailing } from '../model/status.js';
import type { Reporter } from './types.js';
import { describeEvents, firstLine, notableEntries, statusCounts, VERDICT_LABEL, verdictCounts } from './view.js';

// GitHub's step summary takes at most 1 MiB; stay well under it with a bounded list.
const LIST_LIMIT = 200;

/** Markdown-escape text placed in a table cell or inline. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>()#+!|~]/g, '\\$&').replace(/\r?\n/g, ' ');
}

function comparisonMarkdown(c: ComparisonFile): string {
  const lines = [
    `## svmtest: ${escapeMarkdown(c.candidate.variant)} vs ${escapeMarkdown(c.baseline.variant)}`,
    '',
    `Baseline **${escapeMarkdown(c.baseline.variant)}** (${c.baseline.testCount} tests${c.baseline.kernelRelease ? `, kernel ${escapeMarkdown(c.baseline.kernelRelease)}` : ''}) · ` +
      `candidate **${escapeMarkdown(c.candidate.variant)}** (${c.candidate.testCount} tests${c.candidate.kernelRelease ? `, kernel ${escapeMarkdown(c.candidate.kernelRelease)}` : ''})`,
    '',
  ];
  for (const e of c.errors) lines.push(`> **Infrastructure error** in ${e.side} (${escapeMarkdown(e.stage)}): ${escapeMarkdown(firstLine(e.message, 300))}`, '');
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
  return `${lines.join('\n')}\n`;
}

function runMarkdown(r: RunFile): string {
  const lines = [
    `## svmtest run: ${escapeMarkdown(r.run.variant)} (${r.run.target}, ${r.run.status})`,
    '',
    statusCounts(r.tests).map(([s, n]) => `${n} ${s}`).join(' · ') || 'no tests',
    '',
  ];
  for (const e of r.errors) lines.push(`> **Infrastructure error** (${escapeMarkdown(e.stage)}): ${escapeMarkdown(firstLine(e.message, 300))}`, '');
  const failing = r.tests.filter((t) => isFailing(t.status));
  if (failing.length > 0) {
    lines.push('| status | test | first failure | kernel |', '|---|---|---|---|');
    for (const t of failing.slice(0, LIST_LIMIT)) {
      lines.push(`| ${t.status} | ${escapeMarkdown(`${t.suite}/${t.name}`)} | ${escapeMarkdown(firstLine(t.message, 200))} | ${escapeMarkdown(describeEvents(t.kernelEvents))} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export const markdownReporter: Reporter = {
  name: 'markdown',
  description: "a Markdown summary (summary.md in --out; appended to $GITHUB_STEP_SUMMARY when set)",
  render(result, { screen, outDir }) {
    const text = result.kind === 'comparison' ? comparisonMarkdown(result.comparison) : runMarkdown(result.run);
    const written: string[] = [];
    if (outDir) {
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, 'summary.md');
      writeFileSync(file, text);
      written.push(file);
    }
    const stepSummary = screen.env.GITHUB_STEP_SUMMARY;
    if (stepSummary) {
      appendFileSync(stepSummary, text);
      written.push(stepSummary);
    }
    if (written.length === 0) screen.write(text);
    return written;
  },
};

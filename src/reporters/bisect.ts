import junitModule, { type Builder } from 'junit-report-builder';
import type { BisectCommit, BisectFile, BisectStep } from '../model/bisect.js';
import { isFailing } from '../model/status.js';
import { neutralize, neutralizeLine } from '../model/untrusted-text.js';
import { appendToRegularFile, writeFileAtomic } from '../model/json-file.js';
import { cdataText, xmlText } from './junit.js';
import { escapeMarkdown, fitSummary, STEP_SUMMARY_LIMIT } from './markdown.js';
import { describeEvents, firstLine, formatDuration } from './view.js';

// bisect.json rendered for a terminal, a step summary (Markdown) and CI (JUnit). Commit subjects,
// authors, test messages and kernel records are untrusted: neutralized or escaped everywhere.

const junitBuilder = junitModule as unknown as Builder;

const ROLE_LABEL: Record<BisectStep['role'], string> = { 'good-end': 'good end', 'bad-end': 'bad end', step: 'step' };

function commitLine(c: BisectCommit): string {
  return `${c.commit.slice(0, 12)} ${neutralizeLine(c.subject)}`;
}

function buildText(step: BisectStep): string {
  if (step.build.error) return 'build failed';
  if (step.build.cacheHit) return 'cache hit';
  return `built in ${formatDuration(step.build.ms)}${step.build.makeMs !== undefined ? ` (make ${formatDuration(step.build.makeMs)})` : ''}`;
}

function runsText(step: BisectStep): string {
  return step.runs
    .map((r) => (r.error ? 'no result' : r.tests.every((t) => t.status === 'pass') ? 'pass' : r.tests.map((t) => t.status).find((s) => s !== 'pass')!))
    .join(' ');
}

function bootText(step: BisectStep): string {
  const boots = step.runs.flatMap((r) => (r.bootMs !== undefined ? [r.bootMs] : []));
  return boots.length > 0 ? formatDuration(boots.reduce((a, b) => a + b, 0) / boots.length) : '—';
}

/** The kernel records of a step's failing runs, first line each. */
function failureRecords(step: BisectStep): string[] {
  return step.runs.flatMap((r) =>
    r.tests
      .filter((t) => t.status !== 'missing' && isFailing(t.status))
      .flatMap((t) => [
        `run ${r.index}: ${neutralizeLine(t.id)} ${t.status}${t.message ? ` — ${firstLine(t.message, 200)}` : ''}`,
        ...(t.kernelEvents ?? []).map((e) => `  [${e.kind}] ${firstLine(e.summary, 200)}`),
      ]),
  );
}

function firstBadLines(file: BisectFile): string[] {
  const c = file.firstBad;
  if (!c) return [];
  return [
    `first bad commit: ${commitLine(c)}`,
    `  author: ${neutralizeLine(c.author)}, ${c.date}`,
    ...(c.patch ? [`  patch ${c.patch}${file.bisect.series?.patches ? ` of ${file.bisect.series.patches}` : ''}`] : []),
    ...(c.messageId ? [`  Message-Id: <${neutralizeLine(c.messageId)}>${c.lore ? ` ${c.lore}` : ''}`] : []),
    ...c.diffstat.split('\n').map((l) => `  ${neutralizeLine(l)}`),
  ];
}

/** The terminal report: the answer first, then every step. */
export function bisectTerminal(file: BisectFile): string {
  const b = file.bisect;
  const lines = [
    `bisect ${b.variant} on ${b.target}: ${b.tests.map(neutralizeLine).join(', ')} (${b.runs} runs per step)`,
    `  good ${commitLine(b.good)}`,
    `  bad  ${commitLine(b.bad)}`,
    `  ${b.commits} commits between them: at most ${b.maxSteps} steps`,
    ...(b.fromHistory ? [`  from history: last good night ${b.fromHistory.lastGood.night}, first bad night ${b.fromHistory.firstBad.night}`] : []),
    '',
    ...file.steps.flatMap((s) => [
      `${ROLE_LABEL[s.role].padEnd(8)} ${s.verdict.padEnd(4)} ${commitLine(s.commit)}${s.commit.patch ? ` [patch ${s.commit.patch}]` : ''}`,
      `         build: ${buildText(s)}; boot: ${bootText(s)}; runs: ${runsText(s) || '—'}${s.reason ? `; ${firstLine(s.reason, 200)}` : ''}`,
      ...failureRecords(s).map((l) => `         ${l}`),
    ]),
    '',
    ...firstBadLines(file),
    ...(file.candidates ? [`candidates: ${file.candidates.map(commitLine).join('; ')}`] : []),
    `${b.outcome}: ${neutralize(b.message ?? '')}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The Markdown report (a GitHub step summary): the answer, a table of steps, the failing runs' records. */
export function bisectMarkdown(file: BisectFile): string {
  const b = file.bisect;
  const c = file.firstBad;
  const lines = [
    `## svmtest bisect: ${escapeMarkdown(b.tests.join(', '))} on ${escapeMarkdown(b.variant)}`,
    '',
    `**${b.outcome}** — ${escapeMarkdown(b.message ?? '')}`,
    '',
  ];
  if (c) {
    lines.push(
      `| first bad commit | |`,
      '|---|---|',
      `| commit | \`${c.commit}\` |`,
      `| subject | ${escapeMarkdown(c.subject)} |`,
      `| author | ${escapeMarkdown(c.author)}, ${escapeMarkdown(c.date)} |`,
      ...(c.patch ? [`| patch | ${c.patch}${b.series?.patches ? ` of ${b.series.patches}` : ''} |`] : []),
      ...(c.messageId ? [`| Message-Id | ${c.lore ? `[${escapeMarkdown(c.messageId)}](${c.lore})` : escapeMarkdown(c.messageId)} |`] : []),
      '',
      '```',
      neutralize(c.diffstat).replaceAll('```', "'''"),
      '```',
      '',
    );
  }
  lines.push('| # | role | commit | verdict | build | boot | runs |', '|---|---|---|---|---|---|---|');
  for (const s of file.steps) {
    lines.push(
      `| ${s.n} | ${ROLE_LABEL[s.role]} | \`${s.commit.commit.slice(0, 12)}\` ${escapeMarkdown(s.commit.subject)} | ${s.verdict}${s.reason && s.verdict === 'skip' ? ` (${escapeMarkdown(firstLine(s.reason, 120))})` : ''} | ${buildText(s)} | ${bootText(s)} | ${runsText(s) || '—'} |`,
    );
  }
  const records = file.steps.filter((s) => failureRecords(s).length > 0);
  if (records.length > 0) {
    lines.push('', '<details><summary>failing runs and their kernel records</summary>', '');
    for (const s of records) lines.push(`- \`${s.commit.commit.slice(0, 12)}\`: ${failureRecords(s).map(escapeMarkdown).join('; ')}`);
    lines.push('', '</details>');
  }
  return `${lines.join('\n')}\n`;
}

/** JUnit: one test case per step (a bad step is a failure, a skip skipped), the answer as properties. */
export function bisectJunit(file: BisectFile): string {
  const builder = junitBuilder.newBuilder();
  const b = file.bisect;
  const suite = builder.testSuite().name(xmlText(`svmtest bisect ${b.variant}: ${b.tests.join(', ')}`));
  suite.property('outcome', b.outcome);
  if (file.firstBad) {
    suite.property('firstBadCommit', file.firstBad.commit);
    suite.property('firstBadSubject', xmlText(file.firstBad.subject));
    if (file.firstBad.lore) suite.property('lore', file.firstBad.lore);
  }
  for (const s of file.steps) {
    const testCase = suite
      .testCase()
      .className(xmlText(`bisect.${s.role}`))
      .name(xmlText(`${s.commit.commit.slice(0, 12)} ${s.commit.subject}`))
      .time((s.build.ms + s.runs.reduce((t, r) => t + (r.bootMs ?? 0) + (r.runMs ?? 0), 0)) / 1000);
    testCase.property('verdict', s.verdict);
    testCase.property('build', buildText(s));
    const detail = [s.reason, ...failureRecords(s)].filter(Boolean).join('\n');
    if (s.verdict === 'bad') testCase.failure(xmlText(firstLine(s.reason, 300)), 'bad').stacktrace(cdataText(detail));
    else if (s.verdict === 'skip') testCase.skipped();
    const events = s.runs.flatMap((r) => r.tests.flatMap((t) => t.kernelEvents ?? []));
    if (events.length > 0) testCase.standardOutput(cdataText(`kernel: ${describeEvents(events)}\n${events.map((e) => e.lines.join('\n')).join('\n\n')}`));
  }
  return builder.build();
}

/** summary.md and junit.xml beside bisect.json; the Markdown appended to $GITHUB_STEP_SUMMARY when set. */
export function writeBisectReports(file: BisectFile, files: { summary: string; junit: string }, env: NodeJS.ProcessEnv): string[] {
  const markdown = bisectMarkdown(file);
  writeFileAtomic(files.summary, markdown);
  writeFileAtomic(files.junit, bisectJunit(file));
  const written = [files.summary, files.junit];
  if (env.GITHUB_STEP_SUMMARY) {
    appendToRegularFile(env.GITHUB_STEP_SUMMARY, '$GITHUB_STEP_SUMMARY', (size) =>
      fitSummary(markdown, Math.max(0, STEP_SUMMARY_LIMIT - size - 1024), files.summary),
    );
    written.push(env.GITHUB_STEP_SUMMARY);
  }
  return written;
}

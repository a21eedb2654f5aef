import { pText, ratioText, significantChanges } from './perf-view.js';
import { join } from 'node:path';
import junitModule, { type Builder } from 'junit-report-builder';
import { writeFileAtomic } from '../model/json-file.js';
import type { ComparisonEntry, ComparisonFile, PerfChange } from '../model/comparison.js';
import { testId, type RunFile, type TestResult } from '../model/run.js';
import type { Reporter } from './types.js';
import { describeEvents, outsideLines, VERDICT_LABEL } from './view.js';

// A CommonJS module whose typings describe an ES default export: at run time the import is the builder itself.
const junitBuilder = junitModule as unknown as Builder;

// XML 1.0 allows tab, LF, CR and U+0020–U+D7FF, U+E000–U+FFFD, astral planes: everything else
// (other controls, lone surrogates, U+FFFE/U+FFFF) is made visible instead of breaking the file.
const NOT_XML = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** Untrusted text for an XML attribute or element. */
export function xmlText(text: string): string {
  return text.replace(NOT_XML, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/**
 * Untrusted text for a CDATA section. The builder splits only the first `]]>`; every later one is
 * split here, so the section ends nowhere but where the builder ends it (tested by a real parser).
 */
export function cdataText(text: string): string {
  const safe = xmlText(text);
  const first = safe.indexOf(']]>');
  if (first < 0) return safe;
  return safe.slice(0, first + 3) + safe.slice(first + 3).replaceAll(']]>', ']]]]><![CDATA[>');
}

function eventsText(events: TestResult['kernelEvents'] | undefined): string {
  return cdataText((events ?? []).map((e) => `[${e.kind}] ${e.lines.join('\n')}`).join('\n\n'));
}

function addComparisonCase(suite: ReturnType<Builder['testSuite']>, entry: ComparisonEntry, perf: readonly PerfChange[]): void {
  const side = entry.candidate ?? entry.baseline!;
  const testCase = suite
    .testCase()
    .className(xmlText(entry.suite))
    .name(xmlText(entry.name))
    .time(side.durationMs / 1000);
  if (entry.verdict !== 'pass') {
    testCase.property('verdict', entry.verdict);
    if (entry.baseline) testCase.property('baseline', entry.baseline.status);
    if (entry.candidate) testCase.property('candidate', entry.candidate.status);
  }
  const events = describeEvents(entry.candidate?.kernelEvents);
  const detail = [entry.candidate?.message ?? entry.baseline?.message, entry.note, events ? `kernel: ${events}` : undefined].filter(Boolean).join('\n');
  switch (entry.verdict) {
    case 'regression':
    case 'worse':
    case 'new-fail':
    case 'unexpected-pass':
      testCase.failure(xmlText(`${VERDICT_LABEL[entry.verdict]}: ${(detail.split('\n')[0] ?? '').slice(0, 300)}`), entry.verdict).stacktrace(cdataText(detail));
      break;
    case 'missing':
      if (entry.excluded) testCase.skipped();
      else testCase.failure('missing: in the baseline, absent from the candidate', 'missing');
      break;
    case 'skip':
    case 'expected-fail':
    case 'still-failing':
    case 'known-gap':
      testCase.skipped();
      break;
    default:
      break;
  }
  if (entry.verdict === 'flaky') testCase.standardOutput(cdataText(`flaky: ${detail}`));
  if (entry.verdict === 'gap-closed') testCase.standardOutput(cdataText(entry.note ?? 'gap closed: the feature seems to have landed'));
  // A significant performance change is a property of its test case, never a failure (--fail-on slower decides the exit code).
  for (const change of perf)
    testCase.property(xmlText(`perf ${change.metric}`), xmlText(`${change.verdict} ${ratioText(change)} p ${pText(change.pAdjusted)}`));
  const kernel = eventsText(entry.candidate?.kernelEvents);
  if (kernel) testCase.standardError(kernel);
}

function buildComparison(comparison: ComparisonFile): string {
  const builder = junitBuilder.newBuilder();
  const perf = new Map<string, PerfChange[]>();
  for (const change of significantChanges(comparison.performance)) perf.set(testId(change), [...(perf.get(testId(change)) ?? []), change]);
  const bySuite = new Map<string, ComparisonEntry[]>();
  for (const e of comparison.entries) {
    const list = bySuite.get(e.suite);
    if (list) list.push(e);
    else bySuite.set(e.suite, [e]);
  }
  for (const [name, entries] of bySuite) {
    const suite = builder.testSuite().name(xmlText(`${name} (${comparison.candidate.variant} vs ${comparison.baseline.variant})`));
    for (const warning of comparison.warnings ?? []) suite.property('warning', xmlText(warning));
    for (const line of outsideLines(comparison.kernelEvents)) suite.property('kernel-outside-tests', xmlText(line));
    for (const entry of entries) addComparisonCase(suite, entry, perf.get(testId(entry)) ?? []);
  }
  return builder.build();
}

function buildRun(run: RunFile): string {
  const builder = junitBuilder.newBuilder();
  const bySuite = new Map<string, TestResult[]>();
  for (const t of run.tests) {
    const list = bySuite.get(t.suite);
    if (list) list.push(t);
    else bySuite.set(t.suite, [t]);
  }
  for (const [name, tests] of bySuite) {
    const suite = builder.testSuite().name(xmlText(`${name} (${run.run.variant})`));
    for (const warning of run.run.warnings ?? []) suite.property('warning', xmlText(warning));
    for (const line of outsideLines(run.kernelEvents)) suite.property('kernel-outside-tests', xmlText(line));
    for (const t of tests) {
      const testCase = suite
        .testCase()
        .className(xmlText(t.suite))
        .name(xmlText(t.name))
        .time(t.durationMs / 1000);
      if (t.status === 'fail' || t.status === 'timeout') testCase.failure(xmlText(t.message ?? t.status), t.status);
      else if (t.status === 'crash') testCase.error(xmlText(t.message ?? 'crashed'), 'crash');
      else if (t.status === 'skip' || t.status === 'notrun') testCase.skipped();
      if (t.attempts.length > 1) testCase.property('attempts', t.attempts.map((a) => a.status).join(','));
      const kernel = eventsText(t.kernelEvents);
      if (kernel) testCase.standardError(kernel);
    }
  }
  return builder.build();
}

export const junitReporter: Reporter = {
  name: 'junit',
  description: 'JUnit XML, one testcase per test; regressions and new failures are failures (junit.xml in --out)',
  render(result, { screen, outDir }) {
    const xml = result.kind === 'comparison' ? buildComparison(result.comparison) : buildRun(result.run);
    if (!outDir) {
      screen.write(`${xml}\n`);
      return [];
    }
    const file = join(outDir, 'junit.xml');
    writeFileAtomic(file, `${xml}\n`);
    return [file];
  },
};

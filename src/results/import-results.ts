import { randomUUID } from 'node:crypto';
import { InputError } from '../model/errors.js';
import { withRetry } from './with-retry.js';
import { ByTest, RUN_SCHEMA_VERSION, testId, type Environment, type RunFile, type TestResult } from '../model/run.js';
import { isFailing, type Status } from '../model/status.js';
import type { ParsedReport, ParsedTest } from '../parsers/types.js';

export interface ImportedReport {
  readonly source: string;
  readonly suite: string;
  readonly report: ParsedReport;
}

// ctest writes the same run twice: JUnit keeps the output, the console knows timeouts and signals.
const SAME_RUN_FORMATS = new Set(['ctest-junit|ctest-console', 'ctest-console|ctest-junit']);
const SPECIFICITY: Record<Status, number> = { crash: 3, timeout: 3, fail: 2, skip: 1, notrun: 0, pass: 1 };

/** Two reports of the same execution of a test: the more specific status, the first message, the longest duration. */
export function refineParsed(existing: ParsedTest, other: ParsedTest): ParsedTest {
  const pick = SPECIFICITY[other.status] > SPECIFICITY[existing.status] ? other : existing;
  const message = pick.message ?? existing.message ?? other.message;
  const durationMs = Math.max(existing.durationMs ?? 0, other.durationMs ?? 0);
  const output = existing.output ?? other.output;
  return { name: existing.name, status: pick.status, durationMs, ...(message !== undefined ? { message } : {}), ...(output !== undefined ? { output } : {}) };
}

/** Reports of one execution (ctest's JUnit and console) → one result per test, in first-seen order. */
export function combineSameRun(reports: readonly ParsedReport[]): ParsedTest[] {
  const byName = new Map<string, ParsedTest>();
  for (const report of reports) {
    for (const test of report.tests) {
      const seen = byName.get(test.name);
      byName.set(test.name, seen ? refineParsed(seen, test) : test);
    }
  }
  return [...byName.values()];
}

function toResult(suite: string, parsed: ParsedTest): TestResult {
  const durationMs = parsed.durationMs ?? 0;
  const { status, message } = parsed;
  // Two shapes written out, not spread: this runs once per test of imports of 100,000.
  return message === undefined
    ? { suite, name: parsed.name, status, durationMs, attempts: [{ status, durationMs }], kernelEvents: [] }
    : { suite, name: parsed.name, status, durationMs, attempts: [{ status, durationMs, message }], message, kernelEvents: [] };
}

interface Slot {
  readonly suite: string;
  source: string;
  format: string;
  /** The latest report of the test; earlier attempts (retries) are kept whole. */
  parsed: ParsedTest;
  earlier: TestResult | undefined;
}

const resultOf = (slot: Slot): TestResult => {
  const latest = toResult(slot.suite, slot.parsed);
  return slot.earlier ? withRetry(slot.earlier, latest) : latest;
};

/**
 * Several parsed outputs (one or more suites) → the tests of one run. The same test reported
 * again is a retry only after a failing report; otherwise it is an error, since a run holds
 * each test once.
 */
export function mergeReports(reports: readonly ImportedReport[]): TestResult[] {
  const slots = new ByTest<Slot>();
  const order: Slot[] = [];
  for (const { source, suite, report } of reports) {
    for (const parsed of report.tests) {
      const slot = slots.get(suite, parsed.name);
      if (!slot) {
        const made: Slot = { suite, source, format: report.format, parsed, earlier: undefined };
        slots.set(suite, parsed.name, made);
        order.push(made);
      } else if (slot.source !== source && SAME_RUN_FORMATS.has(`${slot.format}|${report.format}`)) {
        slot.parsed = refineParsed(slot.parsed, parsed);
        slot.format = report.format;
      } else if (isFailing(slot.parsed.status)) {
        slot.earlier = resultOf(slot);
        slot.parsed = parsed;
        slot.source = source;
      } else {
        throw new InputError(
          `${source}: test ${testId({ suite, name: parsed.name })} is reported twice (first in ${slot.source} as ${slot.parsed.status}); a second report counts as a retry only after a failure`,
        );
      }
    }
  }
  return order.map(resultOf);
}

export interface ImportOptions {
  readonly variant: string;
  /** The nightly the run belongs to (YYYY-MM-DD). */
  readonly night?: string;
  readonly environment?: Environment;
  readonly now: Date;
  readonly toolVersion: string;
}

/**
 * When the files say their run began: the earliest `timestamp` among them. A timestamp without a
 * zone (gtest's XML, ctest's JUnit write local time) is read in this machine's time zone (TZ).
 */
export function reportsStart(reports: readonly ImportedReport[]): Date | undefined {
  const times = reports
    .map((r) => (r.report.startedAt ? new Date(r.report.startedAt) : undefined))
    .filter((d): d is Date => d !== undefined && Number.isFinite(d.getTime()));
  return times.length > 0 ? new Date(Math.min(...times.map((d) => d.getTime()))) : undefined;
}

export function importRun(reports: readonly ImportedReport[], options: ImportOptions): RunFile {
  const tests = mergeReports(reports);
  // The files' own start when they have one; else the night given; else now.
  const start = reportsStart(reports) ?? (options.night ? new Date(`${options.night}T00:00:00Z`) : options.now);
  const spentMs = tests.reduce((sum, t) => sum + t.attempts.reduce((a, x) => a + x.durationMs, 0), 0);
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    run: {
      id: randomUUID(),
      variant: options.variant,
      ...(options.night ? { night: options.night } : {}),
      target: 'import',
      startedAt: start.toISOString(),
      finishedAt: new Date(start.getTime() + Math.round(spentMs)).toISOString(),
      status: 'complete',
      selection: { suites: [...new Set(reports.map((r) => r.suite))] },
      environment: options.environment ?? { gpus: [] },
      toolVersion: options.toolVersion,
    },
    tests,
    errors: [],
  };
}

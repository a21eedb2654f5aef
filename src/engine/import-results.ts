import { randomUUID } from 'node:crypto';
import { InputError } from '../model/errors.js';
import { RUN_SCHEMA_VERSION, testId, type Attempt, type Environment, type RunFile, type TestResult } from '../model/run.js';
import { isFailing, type Status } from '../model/status.js';
import type { ParsedReport, ParsedTest } from '../parsers/types.js';

export interface ImportedReport {
  readonly source: string;
  readonly suite: string;
  readonly report: ParsedReport;
}

interface Slot {
  test: TestResult;
  source: string;
  format: string;
}

// ctest writes the same run twice: JUnit keeps the output, the console knows timeouts and signals.
const SAME_RUN_FORMATS = new Set(['ctest-junit|ctest-console', 'ctest-console|ctest-junit']);
const SPECIFICITY: Record<Status, number> = { crash: 3, timeout: 3, fail: 2, skip: 1, notrun: 0, pass: 1 };

function toResult(suite: string, parsed: ParsedTest): TestResult {
  const durationMs = parsed.durationMs ?? 0;
  return {
    suite,
    name: parsed.name,
    status: parsed.status,
    durationMs,
    attempts: [{ status: parsed.status, durationMs, ...(parsed.message !== undefined ? { message: parsed.message } : {}) }],
    ...(parsed.message !== undefined ? { message: parsed.message } : {}),
    kernelEvents: [],
  };
}

function refine(existing: TestResult, other: TestResult): TestResult {
  const pick = SPECIFICITY[other.status] > SPECIFICITY[existing.status] ? other : existing;
  const message = pick.message ?? existing.message ?? other.message;
  const durationMs = Math.max(existing.durationMs, other.durationMs);
  return {
    ...existing,
    status: pick.status,
    durationMs,
    attempts: [{ status: pick.status, durationMs, ...(message !== undefined ? { message } : {}) }],
    ...(message !== undefined ? { message } : {}),
  };
}

function retry(existing: TestResult, next: TestResult): TestResult {
  const attempts: Attempt[] = [...existing.attempts, ...next.attempts];
  const { message: _dropped, ...rest } = existing;
  return {
    ...rest,
    status: next.status,
    durationMs: existing.durationMs + next.durationMs,
    attempts,
    ...(next.message !== undefined ? { message: next.message } : {}),
  };
}

/**
 * Several parsed outputs (one or more suites) → the tests of one run. The same test reported
 * again is a retry only after a failing report; otherwise it is an error, since a run holds
 * each test once.
 */
export function mergeReports(reports: readonly ImportedReport[]): TestResult[] {
  const slots = new Map<string, Slot>();
  for (const { source, suite, report } of reports) {
    for (const parsed of report.tests) {
      const test = toResult(suite, parsed);
      const id = testId(test);
      const slot = slots.get(id);
      if (!slot) {
        slots.set(id, { test, source, format: report.format });
      } else if (slot.source !== source && SAME_RUN_FORMATS.has(`${slot.format}|${report.format}`)) {
        slot.test = refine(slot.test, test);
        slot.format = report.format;
      } else if (isFailing(slot.test.status)) {
        slot.test = retry(slot.test, test);
        slot.source = source;
      } else {
        throw new InputError(
          `${source}: test ${id} is reported twice (first in ${slot.source} as ${slot.test.status}); a second report counts as a retry only after a failure`,
        );
      }
    }
  }
  return [...slots.values()].map((s) => s.test);
}

export interface ImportOptions {
  readonly variant: string;
  readonly environment?: Environment;
  readonly now: Date;
  readonly toolVersion: string;
}

export function importRun(reports: readonly ImportedReport[], options: ImportOptions): RunFile {
  const tests = mergeReports(reports);
  const stamp = options.now.toISOString();
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    run: {
      id: randomUUID(),
      variant: options.variant,
      target: 'import',
      startedAt: stamp,
      finishedAt: stamp,
      status: 'complete',
      selection: { suites: [...new Set(reports.map((r) => r.suite))] },
      environment: options.environment ?? { gpus: [] },
      toolVersion: options.toolVersion,
    },
    tests,
    errors: [],
  };
}

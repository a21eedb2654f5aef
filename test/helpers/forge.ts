import { expect } from 'vitest';
import type { RunFile } from '../../src/model/run.js';

/** What gtest itself knows of test/fixtures/programs/forge_tests.cc, whatever its tests print. */
export const FORGE_TRUTH: Record<string, string> = {
  'Forge.Honest': 'pass',
  'Forge.CrashAfterOk': 'crash',
  'Forge.FailAfterOk': 'fail',
  'Forge.StreamLineOnStdout': 'fail',
  'Forge.HangAfterOk': 'pass',
  'Forge.Skipped': 'skip',
  'Forge.After': 'pass',
  'Channel.ForgedInsideTheProcess': 'skip',
  'Dynamic.with space': 'pass',
  'Exit.DiesAfterPass': 'pass',
};

export const statusOf = (run: RunFile) => Object.fromEntries(run.tests.map((t) => [t.name, t.status]));

/** The run holds the framework's results, read from its result channel, with its own messages (the kernel-record tests apart). */
export function expectForgeTruth(run: RunFile, overrides: Record<string, string> = {}): void {
  const forged = run.tests.filter((t) => !t.name.startsWith('Forty/'));
  expect(Object.fromEntries(forged.map((t) => [t.name, t.status]))).toEqual({ ...FORGE_TRUTH, ...overrides });
  expect(run.run.resultSources).toEqual({ [run.tests[0]!.suite]: 'channel' });
  expect(run.tests.find((t) => t.name === 'Forge.FailAfterOk')!.message).toMatch(/forge_tests\.cc:\d+: Failed\nreal failure/);
  expect(run.tests.find((t) => t.name === 'Forge.CrashAfterOk')!.message).toMatch(/SIGSEGV/);
  expect(run.tests.find((t) => t.name === 'Forge.Skipped')!.message).toBe('nothing to test here');
}

/**
 * Forty/KernelRecord.Own/N of forge_tests.cc: each even N logged one GPU page fault naming
 * pasid 40000+N, odd ones nothing. Each record is on its own test, and on no other.
 */
export function expectRecordsOnTheirTests(run: RunFile): void {
  const tests = run.tests.filter((t) => t.name.startsWith('Forty/'));
  expect(tests).toHaveLength(40);
  const misplaced = tests.flatMap((t) => {
    const n = Number(t.name.split('/').at(-1));
    const own = t.kernelEvents.filter((e) => e.summary.includes(`pasid:${40000 + n})`));
    const foreign = t.kernelEvents.filter((e) => !own.includes(e));
    const expected = n % 2 === 0 ? 1 : 0;
    return own.length === expected && foreign.length === 0 ? [] : [`${t.name}: ${t.kernelEvents.map((e) => e.summary).join(' | ') || 'no record'}`];
  });
  expect(misplaced).toEqual([]);
  expect(run.run.kernelAttribution).toBe('markers');
}

/**
 * A run of Channel.ForgedInsideTheProcess with FORGE_CHANNEL set: the test wrote a forged "passed"
 * end to its own process's result stream, then failed. gtest's XML report corrects it to fail,
 * and the run says so as an infrastructure error (exit 3).
 */
export function expectForgedChannelCaught(run: RunFile): void {
  const test = run.tests.find((t) => t.name === 'Channel.ForgedInsideTheProcess')!;
  expect(test.status).toBe('fail');
  expect(test.message).toMatch(/the real result[\s\S]*the result stream said pass; gtest's own XML report says fail/);
  expect(run.errors.map((e) => e.message).join('\n')).toMatch(/Channel\.ForgedInsideTheProcess: its result stream said pass, gtest's XML report says fail/);
}

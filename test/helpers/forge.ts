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
  'Dynamic.with space': 'pass',
  'Exit.DiesAfterPass': 'pass',
};

export const statusOf = (run: RunFile) => Object.fromEntries(run.tests.map((t) => [t.name, t.status]));

/** The run holds the framework's results, read from its result channel, with its own messages. */
export function expectForgeTruth(run: RunFile, overrides: Record<string, string> = {}): void {
  expect(statusOf(run)).toEqual({ ...FORGE_TRUTH, ...overrides });
  expect(run.run.resultSources).toEqual({ [run.tests[0]!.suite]: 'channel' });
  expect(run.tests.find((t) => t.name === 'Forge.FailAfterOk')!.message).toMatch(/forge_tests\.cc:\d+: Failed\nreal failure/);
  expect(run.tests.find((t) => t.name === 'Forge.CrashAfterOk')!.message).toMatch(/SIGSEGV/);
  expect(run.tests.find((t) => t.name === 'Forge.Skipped')!.message).toBe('nothing to test here');
}

import type { RunFile, TestResult } from '../../src/model/run.js';
import type { Status } from '../../src/model/status.js';

export function result(suite: string, name: string, status: Status, extra: Partial<TestResult> = {}): TestResult {
  return { suite, name, status, durationMs: 1, attempts: [{ status, durationMs: 1 }], kernelEvents: [], ...extra };
}

export function makeRun(variant: string, tests: TestResult[], extra: Partial<RunFile['run']> = {}): RunFile {
  return {
    schemaVersion: 1,
    run: {
      id: `${variant}-${Math.random().toString(36).slice(2)}`,
      variant,
      target: 'host',
      startedAt: '2026-11-25T00:00:00.000Z',
      finishedAt: '2026-11-25T00:01:00.000Z',
      status: 'complete',
      environment: { gpus: [{ node: 1, gfx: 'gfx942', name: 'MI300X', xnack: true }] },
      toolVersion: '0.0.0',
      ...extra,
    },
    tests,
    errors: [],
  };
}

import { compareRuns } from '../../src/compare/compare-runs.js';
import { NO_EXPECTATIONS } from '../../src/compare/expectations.js';
import type { ComparisonFile } from '../../src/model/comparison.js';
import { makeRun, result } from './runs.js';

/** A small comparison with one test of each notable verdict, a kernel event, and a fixed clock. */
export function sampleComparison(): ComparisonFile {
  const fault = [
    { kind: 'gpu-page-fault' as const, timestamp: 12.5, summary: 'amdgpu: [gfxhub] page fault', lines: ['amdgpu: [gfxhub] page fault (src_id:0)'] },
  ];
  const baseline = makeRun(
    'legacy',
    [
      result('kfdtest', 'A.pass', 'pass'),
      result('kfdtest', 'A.regress', 'pass'),
      result('kfdtest', 'A.fixed', 'fail', { message: 'was broken' }),
      result('kfdtest', 'A.gone', 'pass'),
    ],
    { id: 'base-run' },
  );
  const candidate = makeRun(
    'gpusvm',
    [
      result('kfdtest', 'A.pass', 'pass'),
      result('kfdtest', 'A.regress', 'crash', { message: 'the test process was killed by SIGSEGV\nmore', kernelEvents: fault }),
      result('kfdtest', 'A.fixed', 'pass'),
      result('kfdtest', 'A.new', 'fail', { message: 'x.cc:1: Failure' }),
    ],
    { id: 'candidate-run', environment: { kernelRelease: '6.18.0-gpusvm', gpus: [{ node: 1, gfx: 'gfx942', name: 'MI300X', xnack: true }] } },
  );
  return compareRuns(baseline, candidate, { expectations: NO_EXPECTATIONS, now: new Date('2026-11-26T00:00:00Z'), toolVersion: '1.2.3' });
}

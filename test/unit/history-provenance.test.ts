import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare-runs.js';
import { NO_EXPECTATIONS } from '../../src/compare/expectations.js';
import { importComparison, importRun } from '../../src/history/import.js';
import { nightRuns } from '../../src/history/night-runs.js';
import { openStore } from '../../src/history/open-store.js';
import { currentRegressions, regressionEnds } from '../../src/history/regressions.js';
import type { KernelProvenance } from '../../src/model/run.js';
import { makeRun, result } from '../helpers/runs.js';

const commit = (c: string) => c.repeat(40);

describe('where each night kernel came from, in the history store', () => {
  it('"what changed" names the kernel commit, tree and ROCm build; a regression ends at the commits of its nights', async () => {
    const store = await openStore(join(mkdtempSync(join(tmpdir(), 'svmtest-prov-')), 'history.db'), { create: true });
    try {
      const nights: Array<[string, string, 'pass' | 'fail']> = [
        ['2026-11-20', 'a', 'pass'],
        ['2026-11-21', 'b', 'pass'],
        ['2026-11-22', 'c', 'fail'],
        ['2026-11-23', 'd', 'fail'],
      ];
      for (const [night, c, status] of nights) {
        const build: KernelProvenance = {
          repo: '/src/drm-next',
          base: 'drm-next',
          commit: commit(c),
          series: 's'.repeat(64),
          seriesVersion: 8,
          seriesPatches: 18,
        };
        const environment = (variant: string) => ({
          gpus: [{ node: 1, gfx: 'gfx942', name: 'MI300X', xnack: true }],
          kernelBuild: variant === 'gpusvm' ? build : { ...build, commit: commit('0') },
          userspace: { digest: c.repeat(64), components: [] },
        });
        const startedAt = `${night}T02:00:00.000Z`;
        const legacy = makeRun('legacy', [result('kfdtest', 'KFDSVMRangeTest.MigrateTest', 'pass')], { startedAt, environment: environment('legacy') });
        const gpusvm = makeRun('gpusvm', [result('kfdtest', 'KFDSVMRangeTest.MigrateTest', status)], { startedAt, environment: environment('gpusvm') });
        await importRun(store, legacy, { night });
        await importRun(store, gpusvm, { night });
        await importComparison(store, compareRuns(legacy, gpusvm, { expectations: NO_EXPECTATIONS, now: new Date(startedAt), toolVersion: '0.0.0' }), {
          night,
        });
      }
      const { regressions } = await currentRegressions(store);
      expect(regressions).toHaveLength(1);
      expect(regressions[0]!.changed).toEqual(
        expect.arrayContaining([`kernel commit: ${'b'.repeat(12)} → ${'c'.repeat(12)}`, `ROCm build: ${'b'.repeat(12)} → ${'c'.repeat(12)}`]),
      );
      const ends = await regressionEnds(store, { suite: 'kfdtest', name: 'KFDSVMRangeTest.MigrateTest' }, { variant: 'gpusvm' });
      expect(ends.lastGood).toMatchObject({ night: '2026-11-21', kernelCommit: commit('b'), kernelRepo: '/src/drm-next' });
      expect(ends.firstBad).toMatchObject({ night: '2026-11-22', kernelCommit: commit('c') });
      // A night read back for export (kcidb) carries the kernel's provenance as the run recorded it.
      const exported = await nightRuns(store, '2026-11-22');
      expect(exported.find((r) => r.run.run.variant === 'gpusvm')?.run.run.environment.kernelBuild).toMatchObject({ commit: commit('c'), seriesVersion: 8 });
    } finally {
      await store.close();
    }
  });
});

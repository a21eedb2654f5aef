import type { LoadedConfig } from '../../config/load.js';
import { openStore } from '../../history/open-store.js';
import { regressionEnds } from '../../history/regressions.js';
import type { NightResult } from '../../history/test-history.js';
import type { BisectInfo } from '../../model/bisect.js';
import { InputError } from '../../model/errors.js';
import { historyLocation } from '../history.js';

export interface HistoryEnds {
  readonly good: string;
  readonly bad: string;
  readonly fromHistory: NonNullable<BisectInfo['fromHistory']>;
}

function commitOf(night: NightResult, what: string, db: string): string {
  if (night.kernelCommit && /^[0-9a-f]{40}$/.test(night.kernelCommit)) return night.kernelCommit;
  throw new InputError(
    `${db}: the ${what} night (${night.night}, run ${night.runId}) recorded no kernel commit: only runs of kernels svmtest built (or imported with parse --commit) say where their kernel came from; give --good and --bad instead`,
  );
}

/**
 * The last good and first bad nights of a test in a variant, from the history store, as commits:
 * the kernels those nights ran. A test that is not failing on the latest night, or never passed
 * before its failing streak, gives nothing to bisect.
 */
export async function endsFromHistory(test: string, options: { db?: string; gfx?: string; variant: string; loaded: LoadedConfig }): Promise<HistoryEnds> {
  const slash = test.indexOf('/');
  if (slash <= 0 || slash === test.length - 1) throw new InputError(`--from-history ${test}: expected SUITE/TEST, e.g. kfdtest/KFDSVMRangeTest.MigrateTest`);
  const location = historyLocation(options.db, options.loaded);
  const store = await openStore(location);
  try {
    const ends = await regressionEnds(
      store,
      { suite: test.slice(0, slash), name: test.slice(slash + 1) },
      { variant: options.variant, ...(options.gfx !== undefined ? { gfx: options.gfx } : {}) },
    );
    const shown = store.where;
    if (!ends.latest) throw new InputError(`${shown}: no night of variant ${options.variant} ran ${test}`);
    if (!ends.firstBad)
      throw new InputError(
        `${shown}: ${test} is not failing in ${options.variant} on the latest night (${ends.latest.night}: ${ends.latest.status}); nothing to bisect`,
      );
    if (!ends.lastGood)
      throw new InputError(
        `${shown}: ${test} has failed in ${options.variant} since its first night (${ends.firstBad.night}); no night passed to start from — give --good`,
      );
    const good = commitOf(ends.lastGood, 'last good', shown);
    const bad = commitOf(ends.firstBad, 'first bad', shown);
    return {
      good,
      bad,
      fromHistory: {
        lastGood: { night: ends.lastGood.night, runId: ends.lastGood.runId, commit: good },
        firstBad: { night: ends.firstBad.night, runId: ends.firstBad.runId, commit: bad },
      },
    };
  } finally {
    await store.close();
  }
}

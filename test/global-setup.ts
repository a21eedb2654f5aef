import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { removeTemporaryDirs } from './helpers/temp-cleanup.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** One SVMTEST_CACHE for every test that builds the real kernel, made fresh for the run. */
    kernelCache: string;
  }
}

/**
 * The tests leave their directories behind while they run (a failing test's files are there to
 * read). In CI, at the end of the run, the ones made during it are removed: a kernel build's is
 * 4.5 GB, and a machine that runs the suite every session would fill its disk. Elsewhere they stay
 * (another run may be using its own); SVMTEST_KEEP_TEST_TMP=1 keeps them in CI too.
 */
export default function setup(project: TestProject): () => void {
  const started = Date.now() - 1000;
  // The kernel-build and bisect tests share their kernel builds: whichever runs second starts from
  // the first one's objects (a seeded build directory), as a user's bisect starts from the nightly's.
  project.provide('kernelCache', mkdtempSync(join(tmpdir(), 'svmtest-kernel-cache-')));
  return () => {
    // Under scripts/test-lanes.mjs the lane runner cleans up once both lanes are done.
    if (process.env.CI !== 'true' || process.env.SVMTEST_KEEP_TEST_TMP === '1' || process.env.SVMTEST_TEST_LANES === '1') return;
    removeTemporaryDirs(started);
  };
}

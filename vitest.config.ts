import { defineConfig } from 'vitest/config';
import LaneSequencer from './test/helpers/lane-sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Removes the temporary directories the run made, at its end (SVMTEST_KEEP_TEST_TMP=1 keeps them).
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 300_000,
    // Engine and QEMU tests spawn real processes and VMs and measure timeouts and kernel-log
    // timing: one file at a time, so a TCG guest never starves a timing-sensitive test.
    fileParallelism: false,
    sequence: { sequencer: LaneSequencer },
    reporters: ['default', './test/helpers/plain-summary-reporter.ts'],
  },
});

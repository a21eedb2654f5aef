import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 300_000,
    // Engine and QEMU tests spawn real processes and VMs; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default', './test/helpers/plain-summary-reporter.ts'],
  },
});

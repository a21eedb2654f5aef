import type { TargetPlugin } from '../plugin.js';

export const qemuPlugin: TargetPlugin = {
  name: 'qemu',
  description: 'the kernel under test booted in a QEMU guest that shares the host root read-only',
  bootsKernel: true,
  reusableAcrossRuns: true,
  flags: [
    {
      flags: '--accel <kind>',
      key: 'accel',
      description: 'qemu: accelerator; auto tries KVM and falls back to TCG',
      choices: ['auto', 'kvm', 'tcg'],
    },
  ],
  load: async () => (await import('./qemu-factory.js')).qemuFactory,
};

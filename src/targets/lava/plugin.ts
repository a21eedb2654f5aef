import type { TargetPlugin } from '../plugin.js';

export const lavaPlugin: TargetPlugin = {
  name: 'lava',
  description: "jobs on a LAVA lab: each variant's kernel deployed and booted on the lab's devices, svmtest's engine run there",
  bootsKernel: true,
  flags: [
    { flags: '--lava-url <url>', key: 'lavaUrl', description: 'lava: the LAVA server (default: lava.url in the config)', mayChangeOnResume: true },
    { flags: '--dry-run', key: 'dryRun', description: 'lava: print the job definitions and submit nothing' },
  ],
  load: async () => (await import('./lava-factory.js')).lavaFactory,
};

import type { TargetPlugin } from '../plugin.js';

export const hostPlugin: TargetPlugin = {
  name: 'host',
  description: 'the machine svmtest runs on (its running kernel is the one under test)',
  bootsKernel: false,
  flags: [
    {
      flags: '--no-fork-server',
      key: 'forkServer',
      description: 'host: start each test run alone (--isolate) with its own exec, not forked from a warm start of its program',
      mayChangeOnResume: true,
    },
  ],
  load: async () => (await import('./host-factory.js')).hostFactory,
};

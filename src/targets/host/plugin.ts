import type { TargetPlugin } from '../plugin.js';

export const hostPlugin: TargetPlugin = {
  name: 'host',
  description: 'the machine svmtest runs on (its running kernel is the one under test)',
  bootsKernel: false,
  flags: [],
  load: async () => (await import('./host-factory.js')).hostFactory,
};

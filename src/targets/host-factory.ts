import { HostTarget } from './host.js';
import type { TargetFactory } from './factory.js';

export const hostFactory: TargetFactory = {
  name: 'host',
  description: 'the machine svmtest runs on (its running kernel is the one under test)',
  async prepare(settings) {
    return async () => ({ target: new HostTarget(settings.sysfsRoot ?? '') });
  },
};

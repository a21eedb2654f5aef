import { HostTarget } from '../host.js';
import type { TargetFactory } from '../plugin.js';

export const hostFactory: TargetFactory = {
  async prepare(context) {
    return async () => ({ target: new HostTarget(context.sysfsRoot ?? '') });
  },
  async doctor(context) {
    // The suites run here: this machine is the machine under test.
    await context.machineChecks(new HostTarget(context.sysfsRoot ?? ''), true);
  },
};

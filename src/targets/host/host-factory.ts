import { HostTarget } from '../host.js';
import type { TargetFactory } from '../plugin.js';

export const hostFactory: TargetFactory = {
  async prepare(context) {
    const forkServer = context.flags.forkServer === false ? {} : { forkServer: { cacheDir: context.cacheDir } };
    return async () => ({ target: new HostTarget(context.sysfsRoot ?? '', forkServer) });
  },
  async doctor(context) {
    // The suites run here: this machine is the machine under test.
    await context.machineChecks(new HostTarget(context.sysfsRoot ?? ''), true);
  },
};

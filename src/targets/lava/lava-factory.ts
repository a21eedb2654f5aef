import { existsSync, statSync } from 'node:fs';
import { InfraError, InputError } from '../../model/errors.js';
import type { TargetFactory } from '../plugin.js';
import { which } from '../which-program.js';
import { LavaApi } from './lava-api.js';
import type { LavaSection } from './lava-config.js';
import { LavaRemote } from './lava-remote.js';
import { lavaSettings } from './lava-settings.js';

export const lavaFactory: TargetFactory = {
  async prepare(context) {
    const settings = lavaSettings(context);
    if (!settings.kernel) throw new InputError('--target lava needs a kernel: --kernel FILE, lava.kernel in the config, or a `svmtest build` of the variant');
    if (!existsSync(settings.kernel) || !statSync(settings.kernel).isFile()) throw new InputError(`--kernel ${settings.kernel}: no such file`);
    let api: LavaApi | undefined;
    if (!settings.dryRun) {
      if (!settings.url) throw new InputError('--target lava needs the server: --lava-url URL, or lava.url in the config');
      if (!settings.token) throw new InputError(`--target lava needs an API token in ${settings.tokenSource} (LAVA: your profile, "API tokens")`);
      api = new LavaApi(settings.url, settings.token, settings.tokenSource);
      // Fails fast, in one line, before anything is built: the server, the token, the device type.
      const user = await api.whoami();
      if (!(await api.deviceTypeExists(settings.section.deviceType)))
        throw new InfraError(`LAVA server ${api.base} has no device type "${settings.section.deviceType}" (lava.deviceType)`);
      context.note(`LAVA: ${api.base} as ${user}, device type ${settings.section.deviceType}`);
    }
    const remote = new LavaRemote(settings, api, context.cacheDir, context.note);
    return async () => ({ remote, ...(settings.manifest ? { kernelManifest: settings.manifest } : {}) });
  },

  async doctor(context) {
    const { add } = context;
    const section = context.section as LavaSection;
    for (const [program, pkg] of [
      ['cpio', 'cpio'],
      ['busybox', 'busybox-static'],
      ['ldd', 'libc-bin'],
    ] as const) {
      const found = await which(context.localMachine, program);
      add(`${program} (here)`, found !== undefined, found ?? 'not installed', `sudo apt-get install -y ${pkg}`, true);
    }
    const url = (context.flags.lavaUrl as string | undefined) ?? section.url;
    if (!url) {
      add('LAVA server', false, 'not named', 'set lava.url in the config, or give --lava-url URL', true);
      return;
    }
    const token = process.env[section.tokenEnv];
    add(
      'LAVA token',
      token !== undefined,
      token ? `$${section.tokenEnv} is set` : `$${section.tokenEnv} is not set`,
      `export ${section.tokenEnv}=<your LAVA API token>`,
      true,
    );
    if (!token) return;
    const api = new LavaApi(url, token, `$${section.tokenEnv}`);
    try {
      const user = await api.whoami();
      add('LAVA server', true, `${api.base} (LAVA ${await api.version()}), token of ${user}`, undefined, true);
    } catch (error) {
      if (!(error instanceof InfraError)) throw error;
      add('LAVA server', false, error.message, `check the URL and the token in $${section.tokenEnv}`, true);
      return;
    }
    const type = section.deviceType;
    if (!(await api.deviceTypeExists(type))) {
      add('device type', false, `${type}: not on the server`, "set lava.deviceType to one of the lab's device types", true);
      return;
    }
    const devices = (await api.devices(type)).sort((a, b) => a.hostname.localeCompare(b.hostname));
    const online = devices.filter((d) => ['Good', 'Unknown'].includes(d.health));
    add(
      `devices (${type})`,
      online.length > 0,
      devices.length > 0 ? devices.map((d) => `${d.hostname} ${d.state.toLowerCase()}, ${d.health.toLowerCase()}`).join('; ') : 'none',
      `ask the lab to bring a ${type} device online`,
      true,
    );
  },
};

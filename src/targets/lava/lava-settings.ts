import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../model/errors.js';
import { configBeside, releaseOf } from '../machine/kernel-files.js';
import type { TargetContext } from '../plugin.js';
import type { LavaSection } from './lava-config.js';

export interface LavaSettings {
  readonly section: LavaSection;
  readonly url?: string;
  /** The token, from the environment variable the section names (never from a file). */
  readonly token?: string;
  readonly tokenSource: string;
  readonly kernel?: string;
  readonly modules?: { readonly dir: string; readonly release: string; readonly load: readonly string[] };
  readonly kernelConfig?: { readonly file: string; readonly release: string };
  readonly manifest?: string;
  readonly cmdline: readonly string[];
  readonly dryRun: boolean;
}

/** The section under the flags and the run's common settings: server, token, kernel and what the job boots with. */
export function lavaSettings(context: TargetContext): LavaSettings {
  const section = context.section as LavaSection;
  const url = (context.flags.lavaUrl as string | undefined) ?? section.url;
  if (url !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url)) throw new InputError(`--lava-url "${url.slice(0, 80)}": expected an http(s) URL`);
  const built = !context.kernel && !section.kernel && context.variant.defined ? context.latestBuild() : undefined;
  const kernel = context.kernel ?? context.configPath(section.kernel) ?? built?.kernel;
  const modulesDir = context.modules ?? context.configPath(section.modules) ?? built?.modules;
  const release = modulesDir ? releaseOf(resolve(modulesDir)) : undefined;
  const configFile = kernel ? configBeside(kernel, release) : undefined;
  for (const arg of context.variant.cmdline) {
    if (!/^[^\s"'\\]+$/.test(arg))
      throw new InputError(
        `variant ${context.variant.name}: kernel argument "${arg.slice(0, 60)}" cannot go on a LAVA job's command line (no spaces or quotes)`,
      );
  }
  const token = process.env[section.tokenEnv];
  const manifest = kernel ? join(dirname(kernel), 'manifest.json') : undefined;
  return {
    section,
    ...(url ? { url } : {}),
    ...(token ? { token } : {}),
    tokenSource: `$${section.tokenEnv}`,
    ...(kernel ? { kernel: resolve(kernel) } : {}),
    ...(modulesDir && release ? { modules: { dir: resolve(modulesDir), release, load: context.variant.modprobe } } : {}),
    ...(configFile && release ? { kernelConfig: { file: configFile, release } } : {}),
    ...(manifest && existsSync(manifest) ? { manifest } : {}),
    cmdline: [...section.cmdline, ...context.variant.cmdline],
    dryRun: context.flags.dryRun === true,
  };
}

import { dirname, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { TargetFlagValue, TargetFlagValues } from '../targets/plugin.js';
import { targetFlags } from '../targets/registry.js';

export { targetFlags, targetNames } from '../targets/registry.js';

/** A path in the config, resolved from the config file's directory (~ is the home directory). */
export function configPath(configFile: string): (p: string | undefined) => string | undefined {
  return (p) => (p ? resolve(dirname(configFile), p.replace(/^~(?=\/)/, process.env.HOME ?? '~')) : undefined);
}

/** A target's own section of the config (undefined for a target without one). */
export function targetSection(config: Config, target: string): unknown {
  return Object.hasOwn(config, target) ? (config as Record<string, unknown>)[target] : undefined;
}

/**
 * The target flags that were given, out of a command's parsed options: a negated flag only when
 * given (false), a list only when not empty, paths made absolute.
 */
export function pickTargetFlags(options: Readonly<Record<string, unknown>>): TargetFlagValues {
  const picked: Record<string, TargetFlagValue> = {};
  for (const flag of targetFlags()) {
    const value = options[flag.key];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    if (flag.flags.startsWith('--no-') && value !== false) continue;
    picked[flag.key] = flag.path && typeof value === 'string' ? resolve(value) : (value as TargetFlagValue);
  }
  return picked;
}

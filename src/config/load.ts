import { existsSync } from 'node:fs';
import { InputError } from '../model/errors.js';
import { configSchema, type Config, type Variant } from './schema.js';
import { loadYamlFile } from '../model/yaml-file.js';

export const BUILTIN_CONFIG = new URL('../../config/default.yaml', import.meta.url).pathname;

export interface LoadedConfig {
  readonly config: Config;
  readonly file: string;
}

/** -c FILE, else ./svmtest.yaml when present, else the built-in config/default.yaml. */
export function loadConfig(explicit: string | undefined): LoadedConfig {
  const file = explicit ?? (existsSync('svmtest.yaml') ? 'svmtest.yaml' : BUILTIN_CONFIG);
  if (explicit && !existsSync(explicit)) throw new InputError(`${explicit}: no such config file`);
  return { config: loadYamlFile(file, configSchema).value, file };
}

export function variantOf(config: Config, name: string, file: string): Variant {
  // Own keys only: "__proto__" or "constructor" must not find Object.prototype's members.
  const variant = Object.hasOwn(config.variants, name) ? config.variants[name] : undefined;
  if (!variant) {
    const known = Object.keys(config.variants);
    throw new InputError(`--variant "${name}": not defined in ${file}; known variants: ${known.length > 0 ? known.join(', ') : '(none)'}`);
  }
  return variant;
}

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InfraError, InputError } from '../model/errors.js';
import { parseKconfig } from '../parsers/kconfig.js';
import { runMake } from './make.js';

/** Starting configs make knows by name; anything else is `running` or a file. */
export const NAMED_BASE_CONFIGS: readonly string[] = ['defconfig', 'tinyconfig', 'allnoconfig', 'allmodconfig', 'kvm_guest.config'];

export interface ConfigSpec {
  readonly baseConfig: string;
  readonly fragments: readonly string[];
}

/** The base config as text, for the cache key: its name when make knows it, else the config itself. */
export function baseConfigText(spec: ConfigSpec, configDir: string): string {
  if (NAMED_BASE_CONFIGS.includes(spec.baseConfig) || spec.baseConfig === 'running') return spec.baseConfig;
  const file = resolve(configDir, spec.baseConfig);
  if (!existsSync(file)) throw new InputError(`kernel.baseConfig ${spec.baseConfig}: expected ${NAMED_BASE_CONFIGS.join(', ')}, running, or a config file`);
  return readFileSync(file, 'utf8');
}

export async function baseConfigInto(
  spec: ConfigSpec,
  source: string,
  out: string,
  log: string,
  context: { readonly configDir: string; readonly logLine: (line: string) => void },
): Promise<void> {
  if (NAMED_BASE_CONFIGS.includes(spec.baseConfig)) return runMake(source, [`O=${out}`, spec.baseConfig], log, context);
  let text: string | undefined;
  if (spec.baseConfig === 'running') {
    text = existsSync('/proc/config.gz') ? gunzipSync(readFileSync('/proc/config.gz')).toString() : undefined;
    const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    text ??= existsSync(`/boot/config-${release}`) ? readFileSync(`/boot/config-${release}`, 'utf8') : undefined;
    if (!text) throw new InfraError('kernel.baseConfig running: this kernel exposes no config (/proc/config.gz, /boot/config-<release>)');
  } else {
    text = baseConfigText(spec, context.configDir);
  }
  writeFileSync(join(out, '.config'), text);
}

/** What the variant asks for: fragments in order, then its own options. */
export function requestedOptions(
  spec: ConfigSpec,
  variant: { readonly kconfig: Readonly<Record<string, string>> },
  configDir: string,
): { options: Map<string, string>; text: string } {
  const options = new Map<string, string>();
  let text = '';
  for (const fragment of spec.fragments) {
    const file = resolve(configDir, fragment);
    if (!existsSync(file)) throw new InputError(`kernel.fragments: ${fragment}: no such file`);
    const content = readFileSync(file, 'utf8');
    text += content;
    for (const [k, v] of parseKconfig(content)) options.set(k, v);
  }
  for (const [k, v] of Object.entries(variant.kconfig)) options.set(k.replace(/^CONFIG_/, ''), v);
  return { options, text };
}

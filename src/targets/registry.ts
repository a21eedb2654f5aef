import { InputError } from '../model/errors.js';
import { hostPlugin } from './host/plugin.js';
import { lavaPlugin } from './lava/plugin.js';
import type { TargetFactory, TargetFlag, TargetPlugin } from './plugin.js';
import { qemuPlugin } from './qemu/plugin.js';
import { sshPlugin } from './ssh/plugin.js';

// Every target svmtest knows: a new one is its folder, and a line here (and in sections.ts, if it has
// a config section). The plug-ins declare no schema here, so the CLI learns their flags without zod.
const PLUGINS: readonly TargetPlugin[] = [hostPlugin, qemuPlugin, sshPlugin, lavaPlugin];

export function targetNames(): string[] {
  return PLUGINS.map((p) => p.name);
}

export function targetPlugin(name: string): TargetPlugin {
  const plugin = PLUGINS.find((p) => p.name === name);
  if (!plugin) throw new InputError(`--target "${name}": unknown target; known targets: ${targetNames().join(', ')}`);
  return plugin;
}

/** The targets that boot the kernel under test themselves. */
export function bootingTargets(): string[] {
  return PLUGINS.filter((p) => p.bootsKernel).map((p) => p.name);
}

export async function targetFactory(name: string): Promise<TargetFactory> {
  return targetPlugin(name).load();
}

/** Every target's flags, each with the target it belongs to. */
export function targetFlags(): Array<TargetFlag & { readonly target: string }> {
  return PLUGINS.flatMap((p) => p.flags.map((flag) => ({ ...flag, target: p.name })));
}

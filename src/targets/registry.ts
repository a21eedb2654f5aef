import { InputError } from '../model/errors.js';
import type { TargetFactory } from './factory.js';

const factories = new Map<string, () => Promise<TargetFactory>>();

/** Targets load on demand: QEMU's modules cost start-up that a host run does not need. */
export function registerTarget(name: string, load: () => Promise<TargetFactory>): void {
  factories.set(name, load);
}

export function targetNames(): string[] {
  return [...factories.keys()];
}

export async function targetFactory(name: string): Promise<TargetFactory> {
  const load = factories.get(name);
  if (!load) throw new InputError(`--target "${name}": unknown target; known targets: ${targetNames().join(', ')}`);
  return load();
}

registerTarget('host', async () => (await import('./host-factory.js')).hostFactory);
registerTarget('qemu', async () => (await import('./qemu/qemu-factory.js')).qemuFactory);
registerTarget('ssh', async () => (await import('./ssh/ssh-factory.js')).sshFactory);

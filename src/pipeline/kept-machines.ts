import type { OpenedTarget } from '../targets/plugin.js';

/**
 * Each variant's machine, kept up from its first run to the end of `ci --repeat`'s rounds, so a
 * round runs on the guest the first run booted instead of booting one of its own (a boot is seconds
 * under KVM and tens of seconds under TCG; twenty rounds paid it twenty times). Only for targets
 * whose machines can be up side by side (TargetPlugin.machinesCoexist): a round of the other
 * variant runs in between. A round's run directory lies inside its first run's, which the guest
 * already shares, so its files are where the guest can write them.
 */
export class KeptMachines {
  private readonly held = new Map<string, { readonly opened: OpenedTarget; readonly runDir: string }>();

  /** The variant's machine, if one is kept and can still run tests (a guest that no longer boots is let go). */
  async take(variant: string, runDir: string): Promise<OpenedTarget | undefined> {
    const kept = this.held.get(variant);
    if (!kept) return undefined;
    if (kept.opened.target.fatal?.() === undefined && isInside(runDir, kept.runDir)) return kept.opened;
    this.held.delete(variant);
    await kept.opened.target.close();
    return undefined;
  }

  /** Keeps the machine a variant's first run opened in `runDir`; closeAll puts it down. */
  hold(variant: string, opened: OpenedTarget, runDir: string): void {
    this.held.set(variant, { opened, runDir });
  }

  holds(opened: OpenedTarget): boolean {
    return [...this.held.values()].some((kept) => kept.opened === opened);
  }

  /** Shuts every kept machine down; one that fails to stop does not keep the others up. */
  async closeAll(onError: (message: string) => void): Promise<void> {
    const held = [...this.held];
    this.held.clear();
    for (const [variant, { opened }] of held)
      await opened.target.close().catch((error: unknown) => onError(`stopping ${variant}'s kept machine failed: ${(error as Error).message}`));
  }
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

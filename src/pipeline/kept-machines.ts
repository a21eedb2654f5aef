import type { OpenedTarget } from '../targets/plugin.js';

/**
 * The machine of the last run, kept up for the next run when that is a `--repeat` round of the
 * same variant: `ci`'s rounds alternate in pairs (ABBA), so every other round runs on the guest
 * the round before it booted instead of booting one of its own (a boot is seconds under KVM and
 * tens of seconds under TCG). One machine at a time: another variant's guest idling beside a round
 * would take CPU from the tests being timed, and two guests cannot pass through one GPU. Only for
 * targets whose machine can run another run (TargetPlugin.reusableAcrossRuns). The guest shares
 * the variant's run directory, and every round's directory lies inside it.
 */
export class KeptMachines {
  private held: { readonly variant: string; readonly opened: OpenedTarget; readonly sharedDir: string } | undefined;

  /**
   * The kept machine, when it is this variant's, can still run tests (a guest that no longer boots
   * is let go) and shares `runDir`; any other machine is shut down first.
   */
  async take(variant: string, runDir: string, onError: (message: string) => void): Promise<OpenedTarget | undefined> {
    const kept = this.held;
    if (!kept) return undefined;
    if (kept.variant === variant && kept.opened.target.fatal?.() === undefined && isInside(runDir, kept.sharedDir)) return kept.opened;
    await this.release(onError);
    return undefined;
  }

  /** Keeps the machine a run opened (sharing `sharedDir`) for the next; release puts it down. */
  hold(variant: string, opened: OpenedTarget, sharedDir: string): void {
    this.held = { variant, opened, sharedDir };
  }

  holds(opened: OpenedTarget): boolean {
    return this.held?.opened === opened;
  }

  /** Shuts the kept machine down, if there is one (again: nothing). */
  async release(onError: (message: string) => void): Promise<void> {
    const kept = this.held;
    this.held = undefined;
    await kept?.opened.target.close().catch((error: unknown) => onError(`stopping ${kept.variant}'s kept machine failed: ${(error as Error).message}`));
  }
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

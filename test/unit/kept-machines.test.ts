import { describe, expect, it } from 'vitest';
import { KeptMachines } from '../../src/pipeline/kept-machines.js';
import type { OpenedTarget } from '../../src/targets/plugin.js';
import type { Target } from '../../src/targets/target.js';

/** A machine that counts its closes and can be made fatal (a guest that no longer boots). */
function machine(): { opened: OpenedTarget; closes: () => number; kill: () => void } {
  let closes = 0;
  let fatal: string | undefined;
  const target = { fatal: () => fatal, close: async () => void closes++ } as unknown as Target;
  const kill = () => {
    fatal = 'the guest did not boot again';
  };
  return { opened: { target }, closes: () => closes, kill };
}

describe('machines kept through ci --repeat rounds', () => {
  it("gives each variant its own machine, for round directories inside its first run's", async () => {
    const kept = new KeptMachines();
    const a = machine();
    const b = machine();
    kept.hold('legacy', a.opened, '/runs/ci/legacy');
    kept.hold('gpusvm', b.opened, '/runs/ci/gpusvm');
    expect(await kept.take('legacy', '/runs/ci/legacy/repeats/2')).toBe(a.opened);
    expect(await kept.take('gpusvm', '/runs/ci/gpusvm/repeats/2')).toBe(b.opened);
    expect(await kept.take('other', '/runs/ci/other/repeats/2')).toBeUndefined();
    expect(kept.holds(a.opened)).toBe(true);
    await kept.closeAll(() => undefined);
    expect([a.closes(), b.closes()]).toEqual([1, 1]);
    await kept.closeAll(() => undefined);
    expect([a.closes(), b.closes()]).toEqual([1, 1]);
  });

  it('lets go of a machine that can no longer run tests, or one whose directory the round is not in', async () => {
    const kept = new KeptMachines();
    const dead = machine();
    kept.hold('legacy', dead.opened, '/runs/ci/legacy');
    dead.kill();
    expect(await kept.take('legacy', '/runs/ci/legacy/repeats/3')).toBeUndefined();
    expect(dead.closes()).toBe(1);
    expect(kept.holds(dead.opened)).toBe(false);
    const elsewhere = machine();
    kept.hold('gpusvm', elsewhere.opened, '/runs/ci/gpusvm');
    // A sibling whose name starts the same is not inside: the guest does not share it.
    expect(await kept.take('gpusvm', '/runs/ci/gpusvm-2/repeats/2')).toBeUndefined();
    expect(elsewhere.closes()).toBe(1);
  });

  it('stops every machine even when one fails to stop, and says which', async () => {
    const kept = new KeptMachines();
    const failing = { target: { close: async () => Promise.reject(new Error('qemu did not exit')) } as unknown as Target };
    const fine = machine();
    kept.hold('legacy', failing, '/runs/ci/legacy');
    kept.hold('gpusvm', fine.opened, '/runs/ci/gpusvm');
    const errors: string[] = [];
    await kept.closeAll((m) => errors.push(m));
    expect(errors).toEqual(["stopping legacy's kept machine failed: qemu did not exit"]);
    expect(fine.closes()).toBe(1);
  });
});

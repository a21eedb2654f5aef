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

const quiet = () => undefined;

describe('the machine kept for the next --repeat round', () => {
  it("is given to the same variant's next round, inside the directory it shares", async () => {
    const kept = new KeptMachines();
    const a = machine();
    kept.hold('legacy', a.opened, '/runs/ci/legacy');
    expect(await kept.take('legacy', '/runs/ci/legacy/repeats/2', quiet)).toBe(a.opened);
    expect(await kept.take('legacy', '/runs/ci/legacy/repeats/3', quiet)).toBe(a.opened);
    expect(kept.holds(a.opened)).toBe(true);
    expect(a.closes()).toBe(0);
    await kept.release(quiet);
    await kept.release(quiet);
    expect(a.closes()).toBe(1);
  });

  it("is shut down before another variant's run: one machine at a time", async () => {
    const kept = new KeptMachines();
    const a = machine();
    kept.hold('legacy', a.opened, '/runs/ci/legacy');
    expect(await kept.take('gpusvm', '/runs/ci/gpusvm/repeats/2', quiet)).toBeUndefined();
    expect(a.closes()).toBe(1);
    expect(kept.holds(a.opened)).toBe(false);
  });

  it('is let go when it can no longer run tests, or does not share the directory of the round', async () => {
    const kept = new KeptMachines();
    const dead = machine();
    kept.hold('legacy', dead.opened, '/runs/ci/legacy');
    dead.kill();
    expect(await kept.take('legacy', '/runs/ci/legacy/repeats/3', quiet)).toBeUndefined();
    expect(dead.closes()).toBe(1);
    const elsewhere = machine();
    kept.hold('gpusvm', elsewhere.opened, '/runs/ci/gpusvm');
    // A sibling whose name starts the same is not inside: the guest does not share it.
    expect(await kept.take('gpusvm', '/runs/ci/gpusvm-2/repeats/2', quiet)).toBeUndefined();
    expect(elsewhere.closes()).toBe(1);
  });

  it('says which machine failed to stop', async () => {
    const kept = new KeptMachines();
    kept.hold('legacy', { target: { close: async () => Promise.reject(new Error('qemu did not exit')) } as unknown as Target }, '/runs/ci/legacy');
    const errors: string[] = [];
    await kept.release((m) => errors.push(m));
    expect(errors).toEqual(["stopping legacy's kept machine failed: qemu did not exit"]);
  });
});

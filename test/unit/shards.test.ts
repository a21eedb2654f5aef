import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balancedShards, inShard, parseShard } from '../../src/model/selection.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `suite/T.Case${i}`);
const loads = (assignment: Map<string, number>, total: number, duration: (id: string) => number) => {
  const load = new Array<number>(total).fill(0);
  for (const [id, shard] of assignment) load[shard - 1]! += duration(id);
  return load;
};

describe('shards', () => {
  it('balancedShards: longest first onto the least-loaded shard; every test in exactly one shard', () => {
    const durations = new Map([
      ['suite/T.Case0', 900],
      ['suite/T.Case1', 500],
      ['suite/T.Case2', 400],
      ['suite/T.Case3', 300],
      ['suite/T.Case4', 200],
    ]);
    const assignment = balancedShards(ids(5), 2, durations);
    expect([...assignment.keys()].sort()).toEqual(ids(5));
    expect(loads(assignment, 2, (id) => durations.get(id)!)).toEqual([1200, 1100]); // 900+300 | 500+400+200
  });

  it('balancedShards: tests recorded at 0 ms spread over the shards instead of all landing on the first', () => {
    const zero = new Map(ids(60).map((id) => [id, 0]));
    const assignment = balancedShards(ids(60), 3, zero);
    expect(loads(assignment, 3, () => 1)).toEqual([20, 20, 20]);
  });

  it('balancedShards: the same assignment whatever order the tests were listed in; unknown tests count as the median', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 6 }), (ms, total) => {
        const list = ids(ms.length);
        const durations = new Map(list.filter((_, i) => i % 3 !== 0).map((id, i) => [id, ms[i]!]));
        const forward = balancedShards(list, total, durations);
        const backward = balancedShards([...list].reverse(), total, durations);
        expect(backward).toEqual(forward);
        for (const shard of forward.values()) expect(shard).toBeGreaterThanOrEqual(1);
        for (const shard of forward.values()) expect(shard).toBeLessThanOrEqual(total);
        // With at least as many tests as shards, no shard is left empty.
        if (list.length >= total) expect(new Set(forward.values()).size).toBe(total);
      }),
    );
  });

  it('hash shards: a stable partition, and a malformed --shard is refused', () => {
    const list = ids(100);
    const parts = [1, 2, 3].map((index) => list.filter((id) => inShard(id, { index, total: 3 })));
    expect(parts.flat().sort()).toEqual([...list].sort());
    expect(parseShard('2/3')).toEqual({ index: 2, total: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1']) expect(() => parseShard(bad)).toThrow();
  });
});

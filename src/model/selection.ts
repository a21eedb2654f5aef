import { createHash } from 'node:crypto';
import { InputError } from './errors.js';
import type { Shard } from './run.js';

/** Globs everywhere (filters, profiles, skip lists, timeouts): `*` any run of characters, `?` one. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

const compiledGlobs = new Map<string, RegExp>();

/** The one glob matcher; each glob is compiled once, since plans match every test against every rule. */
export function globMatch(glob: string, text: string): boolean {
  let re = compiledGlobs.get(glob);
  if (!re) {
    re = globToRegExp(glob);
    compiledGlobs.set(glob, re);
  }
  return re.test(text);
}

/** `--filter` globs against `suite/name`; a leading `-` excludes. */
export function matchesAnyFilter(id: string, filters: readonly string[]): boolean {
  const positive = filters.filter((f) => !f.startsWith('-'));
  const negative = filters.filter((f) => f.startsWith('-')).map((f) => f.slice(1));
  if (negative.some((f) => globMatch(f, id))) return false;
  return positive.length === 0 || positive.some((f) => globMatch(f, id));
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const total = m ? Number(m[2]) : NaN;
  if (!m || total < 1 || index < 1 || index > total) {
    throw new InputError(`--shard "${text}": expected i/n with 1 ≤ i ≤ n, e.g. 2/4`);
  }
  return { index, total };
}

/**
 * Stable shard of a test id: a hash, so every machine computes the same partition from the
 * same list whatever order it was listed in, and adding a test moves no other test.
 */
export function shardOf(id: string, total: number): number {
  const digest = createHash('sha1').update(id).digest();
  return (digest.readUInt32BE(0) % total) + 1;
}

export function inShard(id: string, shard: Shard): boolean {
  return shardOf(id, shard.total) === shard.index;
}

/**
 * Shards balanced by recorded durations (longest first onto the least-loaded shard). Every
 * machine computes the same assignment from the same list and the same durations file.
 * Tests without a recorded duration count as the median.
 */
export function balancedShards(ids: readonly string[], total: number, durations: ReadonlyMap<string, number>): Map<string, number> {
  const known = ids
    .map((id) => durations.get(id))
    .filter((d): d is number => d !== undefined)
    .sort((a, b) => a - b);
  const median = known.length > 0 ? known[Math.floor(known.length / 2)]! : 1;
  // Every test costs at least 1 ms (its start and its result): tests recorded at 0 ms still spread
  // over the shards instead of all landing on the first.
  const cost = (id: string) => Math.max(1, durations.get(id) ?? median);
  const sorted = [...new Set(ids)].sort((a, b) => cost(b) - cost(a) || (a < b ? -1 : a > b ? 1 : 0));
  const load = new Array<number>(total).fill(0);
  const assignment = new Map<string, number>();
  for (const id of sorted) {
    let best = 0;
    for (let i = 1; i < total; i++) if (load[i]! < load[best]!) best = i;
    load[best]! += cost(id);
    assignment.set(id, best + 1);
  }
  return assignment;
}

import { createHash } from 'node:crypto';
import { InputError } from './errors.js';
import type { Shard } from './run.js';

/** `--filter` globs: `*` any run of characters, `?` one; a leading `-` excludes. Matched against `suite/name`. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export function matchesAnyFilter(id: string, filters: readonly string[]): boolean {
  const positive = filters.filter((f) => !f.startsWith('-'));
  const negative = filters.filter((f) => f.startsWith('-')).map((f) => f.slice(1));
  if (negative.some((f) => globToRegExp(f).test(id))) return false;
  return positive.length === 0 || positive.some((f) => globToRegExp(f).test(id));
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

import { InvalidArgumentError } from 'commander';
import { parseFailOn, type FailOn } from '../compare/exit-policy.js';

export interface NumberRange {
  readonly integer?: boolean;
  readonly min: number;
  /** min itself is not allowed (a timeout of 0 means nothing). */
  readonly minExclusive?: boolean;
  readonly max: number;
}

/** The one parser of numeric flags: commander calls it while parsing, before anything starts. */
export function numberFlag(range: NumberRange): (value: string) => number {
  const { integer = false, min, minExclusive = false, max } = range;
  const what = `${integer ? 'a whole number' : 'a number'} ${minExclusive ? `greater than ${min}` : `from ${min}`} ${minExclusive ? 'and at most' : 'to'} ${max}`;
  return (value: string) => {
    const n = value.trim() === '' ? NaN : Number(value);
    const ok = Number.isFinite(n) && (minExclusive ? n > min : n >= min) && n <= max && (!integer || Number.isInteger(n));
    if (!ok) throw new InvalidArgumentError(`expected ${what}`);
    return n;
  };
}

const DAY_S = 86_400;

export const FLAG_RANGES = {
  retries: numberFlag({ integer: true, min: 0, max: 100 }),
  testTimeout: numberFlag({ min: 0, minExclusive: true, max: DAY_S }),
  runTimeout: numberFlag({ min: 0, minExclusive: true, max: 30 * DAY_S }),
  jobs: numberFlag({ integer: true, min: 1, max: 256 }),
  watchdog: numberFlag({ min: 0, minExclusive: true, max: DAY_S }),
  reboots: numberFlag({ integer: true, min: 0, max: 100 }),
  perfMinMs: numberFlag({ min: 0, max: DAY_S * 1000 }),
} as const;

/** `--fail-on regression,slower`: refused while parsing, like the numbers. */
export function failOnFlag(value: string): FailOn {
  const policy = parseFailOn(value);
  if (typeof policy === 'string') throw new InvalidArgumentError(policy);
  return policy;
}

/** `--perf-threshold 5%` (or 0.05): the smallest change of a ratio of medians that counts. */
export function percentFlag(value: string): number {
  const text = value.trim();
  const n = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (text === '' || text === '%' || !Number.isFinite(n) || n < 0 || n > 10)
    throw new InvalidArgumentError('expected a fraction or a percentage from 0 to 1000%, e.g. 5% or 0.05');
  return n;
}

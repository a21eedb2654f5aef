import { InputError } from '../model/errors.js';

/**
 * A duration as a report writes it, in milliseconds. Absent or empty: undefined. Anything that is
 * not a finite, non-negative number (inf, nan, 1e400, a 400-digit count) is an input error.
 */
export function durationMs(value: string | undefined, unit: 's' | 'ms', where: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value.trim().replace(/s$/, ''));
  const ms = unit === 's' ? Math.round(number * 1000) : Math.round(number);
  if (!Number.isFinite(ms) || ms < 0)
    throw new InputError(`${where}: duration "${value.slice(0, 40)}" is not a finite number of ${unit === 's' ? 'seconds' : 'milliseconds'}`);
  return ms;
}

/** The same for console output read while tests run: a nonsense number there is a test's own output, not an error. */
export function durationMsOrNone(value: string | undefined, unit: 's' | 'ms'): number | undefined {
  try {
    return durationMs(value, unit, '');
  } catch {
    return undefined;
  }
}

import { InputError } from './errors.js';

// RFC 3339 date-time, as svmtest writes it (toISOString) and as other tools write it.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A date-time a reader can trust: RFC 3339, a real calendar day. */
export function isRfc3339(text: string): boolean {
  const m = RFC3339.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 60;
}

// Fields that hold a date-time in svmtest's files.
const DATE_FIELDS = new Set(['startedAt', 'finishedAt', 'createdAt']);

function where(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '') || '(top level)';
}

/**
 * What a JSON schema cannot say: every number is finite (1e400 parses as Infinity, and would be
 * written back as null), and every date-time is RFC 3339 on a real day.
 */
export function checkSaneValues(data: unknown, source: string): void {
  // One path, pushed and popped: a 100,000-test run is walked without copying it.
  const path: (string | number)[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InputError(`${source}: ${where(path)} is not a finite number`);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        walk(value[i]);
        path.pop();
      }
      return;
    }
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      path.push(key);
      if (DATE_FIELDS.has(key) && typeof item === 'string' && !isRfc3339(item)) {
        throw new InputError(`${source}: ${where(path)} is not an RFC 3339 date-time (e.g. 2026-11-30T20:15:00Z)`);
      }
      walk(item);
      path.pop();
    }
  };
  walk(data);
}

export const STATUSES = ['pass', 'fail', 'skip', 'crash', 'timeout', 'notrun'] as const;
export type Status = (typeof STATUSES)[number];

export const FAILING_STATUSES: ReadonlySet<Status> = new Set(['fail', 'crash', 'timeout']);

export function isFailing(status: Status): boolean {
  return FAILING_STATUSES.has(status);
}

/** Statuses that say nothing about whether the test works (it did not execute). */
export function isInconclusive(status: Status): boolean {
  return status === 'skip' || status === 'notrun';
}

export function parseStatus(text: string): Status | undefined {
  const lower = text.trim().toLowerCase();
  return (STATUSES as readonly string[]).includes(lower) ? (lower as Status) : undefined;
}

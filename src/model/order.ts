/** What the history store says about a test, for `--order history` (history/order-hints.ts reads it). */
export interface TestHint {
  /** It failed on one of the last few nights. */
  readonly failedRecently: boolean;
  /** Its results flip between nights, or it passes only on retries. */
  readonly flaky: boolean;
  /** The last night its status changed between passing and failing (YYYY-MM-DD). */
  readonly lastChange?: string;
  /** Its median duration on the nights it passed. */
  readonly durationMs?: number;
}

/** `--order`: history (the tests most likely to fail first) or name (the suites' own order). */
export type TestOrder = 'history' | 'name';

/**
 * The tests most likely to fail against the candidate first: failing recently, then flaky, then
 * tests the store has never seen, then the rest; within each group the most recent change of status
 * first, then the fastest. Returns the group and a key that sorts within it. The group matters to
 * the scheduler: a batch process runs its tests in the binary's own order, so each group is its own
 * batch and the groups run in this order.
 */
export function orderRank(hint: TestHint | undefined): { group: number; key: readonly [string, number] } {
  const group = !hint ? 2 : hint.failedRecently ? 0 : hint.flaky ? 1 : 3;
  // A later night sorts first: its complement's characters sort earlier.
  const recency = hint?.lastChange ? [...hint.lastChange].map((c) => String.fromCharCode(0x7f - c.charCodeAt(0))).join('') : '\u007f';
  return { group, key: [recency, hint?.durationMs ?? Number.MAX_SAFE_INTEGER] };
}

export function compareRanks(a: ReturnType<typeof orderRank>, b: ReturnType<typeof orderRank>): number {
  if (a.group !== b.group) return a.group - b.group;
  if (a.key[0] !== b.key[0]) return a.key[0] < b.key[0] ? -1 : 1;
  return a.key[1] - b.key[1];
}

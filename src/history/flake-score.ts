import { isFailing, type Status } from '../model/status.js';

export type Pattern = 'passing' | 'failing-since' | 'fixed-since' | 'one-off' | 'intermittent';

export interface FlakeScore {
  /** Nights on which the test ran (skips and not-run nights say nothing). */
  readonly nights: number;
  readonly failures: number;
  /** Changes between passing and failing from one night to the next. */
  readonly flips: number;
  /** Nights on which it passed only on a retry. */
  readonly retried: number;
  /** flips / (nights - 1): 0 for a test that never changes, 1 for one that changes every night. */
  readonly flipRate: number;
  /**
   * passing; failing-since (it passed, then failed every night from `since` on — a regression's
   * shape); fixed-since (it failed, then passed every night from `since` on — a fix's); one-off (one
   * failing stretch among passing nights, then passing again — an event, not a pattern);
   * intermittent (failing in two or more separate stretches, or passing only on retries — a flake's:
   * only this one is flaky).
   */
  readonly pattern: Pattern;
  readonly since?: string;
}

/**
 * How a test behaved over nights, oldest first: tells "fails every night since X" from "fails 1
 * night in 5". Pure, so the rule is tested on its own and used the same way everywhere.
 */
export function flakeScore(series: ReadonlyArray<{ readonly night: string; readonly status: Status; readonly flaky?: boolean }>): FlakeScore {
  const ran = series.filter((s) => s.status === 'pass' || isFailing(s.status));
  const failing = ran.map((s) => isFailing(s.status));
  let flips = 0;
  for (let i = 1; i < failing.length; i++) if (failing[i] !== failing[i - 1]) flips++;
  const failures = failing.filter(Boolean).length;
  const retried = ran.filter((s) => s.flaky).length;
  const flipRate = ran.length > 1 ? flips / (ran.length - 1) : 0;
  const base = { nights: ran.length, failures, flips, retried, flipRate: Math.round(flipRate * 1000) / 1000 };
  if (failures === 0) return { ...base, pattern: retried > 0 ? 'intermittent' : 'passing' };
  // A change that sticks is a regression or a fix; a flake flips back and forth.
  const first = failing.indexOf(true);
  if (failing.slice(first).every(Boolean) && flips <= 1 && retried === 0) return { ...base, pattern: 'failing-since', since: ran[first]!.night };
  const stretches = failing.filter((f, i) => f && (i === 0 || !failing[i - 1])).length;
  if (stretches === 1 && retried === 0) {
    if (failing[0]) return { ...base, pattern: 'fixed-since', since: ran[failing.indexOf(false)]!.night };
    return { ...base, pattern: 'one-off' };
  }
  return { ...base, pattern: 'intermittent' };
}

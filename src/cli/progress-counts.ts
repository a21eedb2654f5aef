import { formatDuration } from '../reporters/view.js';

/** One suite's progress, shown the same way by the terminal (listr2) and the plain CI lines. */
export interface SuiteState {
  total: number;
  done: number;
  failed: number;
  started: number;
  ended?: boolean;
  finish?: () => void;
  update?: (title: string) => void;
}

export function counts(name: string, s: SuiteState): string {
  const elapsed = performance.now() - s.started;
  const eta = s.done > 0 && s.done < s.total ? `, ETA ${formatDuration(Math.round((elapsed / s.done) * (s.total - s.done)))}` : '';
  return `${name}: ${s.done}/${s.total} done, ${s.failed} failed, ${s.total - s.done} remaining${eta}`;
}

import type { FailOn } from '../compare/exit-policy.js';
import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { ci, type Stage } from '../pipeline/ci.js';
import { watchInterrupts } from '../pipeline/interrupts.js';
import { formatDuration } from '../reporters/view.js';
import { openProgress } from './progress.js';
import { requestOf, type TargetFlags } from './run.js';
import { perfSettingsOf } from './perf-flags.js';
import type { TestOrder } from '../model/order.js';
import { note, processScreen } from './screen.js';

export interface CiFlags
  extends Pick<
    TargetFlags,
    'config' | 'target' | 'suite' | 'suiteFile' | 'profile' | 'filter' | 'shard' | 'durations' | 'kernel' | 'modules' | 'guestWatchdog' | 'maxReboots'
  > {
  out?: string;
  retries?: number;
  jobs?: number;
  failOn: FailOn;
  reporter: string;
  history?: string;
  repeat?: number;
  order?: TestOrder;
  failFast?: number;
  perfThreshold?: number;
  perfMinMs?: number;
  perfAlpha?: number;
  perfCorrection?: 'holm' | 'bh';
}

export function printStages(stages: readonly Stage[]): void {
  const total = stages.reduce((sum, s) => sum + s.ms, 0);
  note(`\ntime per stage: ${stages.map((s) => `${s.name} ${formatDuration(Math.round(s.ms))}`).join(' · ')} · total ${formatDuration(Math.round(total))}`);
}

export async function ciCommand(flags: CiFlags): Promise<ExitCode> {
  const interrupts = watchInterrupts(note, () => process.exit(EXIT.interrupted));
  try {
    const { code, outDir, stages } = await ci({
      // --order history reads the same store a nightly imports into (--history).
      request: { ...requestOf(flags), ...(flags.order === 'history' && flags.history ? { orderStore: flags.history } : {}) },
      ...(flags.out ? { out: flags.out } : {}),
      failOn: flags.failOn,
      performance: perfSettingsOf(flags),
      reporter: flags.reporter,
      ...(flags.history ? { history: flags.history } : {}),
      screen: processScreen(),
      openProgress,
      note,
      signal: interrupts.signal,
      now: () => new Date(),
    });
    printStages(stages);
    note(`reports in ${outDir}`);
    return code;
  } finally {
    interrupts.dispose();
  }
}

import { EXIT, type ExitCode } from '../model/exit-codes.js';
import type { BisectOutcome } from '../model/bisect.js';
import { bisect } from '../pipeline/bisect/bisect.js';
import type { BisectGiven } from '../pipeline/bisect/bisect-request.js';
import { watchInterrupts } from '../pipeline/interrupts.js';
import { bisectTerminal, writeBisectReports } from '../reporters/bisect.js';
import { openProgress } from './progress.js';
import { requestOf, type TargetFlags } from './run.js';
import { note, writeOut } from './screen.js';

export interface BisectFlags extends Pick<TargetFlags, 'config' | 'variant' | 'target' | 'suite' | 'suiteFile' | 'guestWatchdog' | 'maxReboots'> {
  test: string[];
  good?: string;
  bad?: string;
  fromHistory?: string;
  db?: string;
  gfx?: string;
  runs?: number;
  acceptFlaky?: boolean;
  timeout?: number;
  out?: string;
  resume?: string;
  json?: boolean;
}

// The exit codes (README, "Exit codes"): 0 the first bad commit was found; 2 nothing to bisect as asked (the ends agree,
// the test is flaky at bad); 3 the infrastructure stood in the way; 130 interrupted, resumable.
const EXIT_OF: Record<BisectOutcome, ExitCode> = {
  found: EXIT.ok,
  'ends-disagree': EXIT.usage,
  flaky: EXIT.usage,
  ambiguous: EXIT.infra,
  infrastructure: EXIT.infra,
  running: EXIT.infra,
  interrupted: EXIT.interrupted,
};

/** The flags that were given: on --resume the saved request decides, and these must agree with it. */
function bisectRequestOf(flags: BisectFlags): BisectGiven {
  const run = requestOf({ ...flags, filter: [], suite: flags.suite ?? [], suiteFile: flags.suiteFile ?? [] });
  return {
    ...(flags.config ? { config: flags.config } : {}),
    ...(flags.variant ? { variant: flags.variant } : {}),
    tests: flags.test,
    ...(flags.good ? { good: flags.good } : {}),
    ...(flags.bad ? { bad: flags.bad } : {}),
    ...(flags.runs !== undefined ? { runs: flags.runs } : {}),
    ...(flags.fromHistory ? { fromHistory: { test: flags.fromHistory, ...(flags.db ? { db: flags.db } : {}), ...(flags.gfx ? { gfx: flags.gfx } : {}) } } : {}),
    ...(flags.acceptFlaky ? { acceptFlaky: true } : {}),
    run: { ...run, ...(flags.timeout !== undefined ? { testTimeout: flags.timeout } : {}) },
  };
}

/** `svmtest bisect`: the first bad commit of the series for a test, with every step's evidence. */
export async function bisectCommand(flags: BisectFlags): Promise<ExitCode> {
  const interrupts = watchInterrupts(note, () => process.exit(EXIT.interrupted));
  try {
    const request = bisectRequestOf(flags);
    const { file, dir } = await bisect({
      request,
      ...(flags.out ? { out: flags.out } : {}),
      ...(flags.resume ? { resume: flags.resume } : {}),
      openProgress,
      note,
      signal: interrupts.signal,
      now: () => new Date(),
      onStep: (step) => note(`  => ${step.verdict}${step.reason ? `: ${step.reason.split('\n')[0]}` : ''}`),
    });
    const written = writeBisectReports(file, dir, process.env);
    if (flags.json) writeOut(`${JSON.stringify(file, null, 2)}\n`);
    else writeOut(bisectTerminal(file));
    note(`bisect.json, ${written.map((w) => w.split('/').pop()).join(', ')} in ${dir.root}`);
    if (file.bisect.outcome === 'interrupted') note(`resume with: svmtest bisect --resume ${dir.root}`);
    return EXIT_OF[file.bisect.outcome];
  } finally {
    interrupts.dispose();
  }
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunFile } from '../model/run.js';
import { writeRun } from '../model/run-file-write.js';
import { roundDir, doneRound, roundFilters, roundsOf, timedTests, withSamples, type TimedTests } from './repeat-rounds.js';
import type { RunRequest } from './run-request.js';
import type { VariantRun } from './run-variant.js';

/**
 * Runs one round of one variant: a normal run (journaled, resumable) of the tests named, in its own
 * directory; `variantDir` (which holds it) is what a machine booted for it shares.
 */
export type RoundRunner = (request: RunRequest, dir: string, resume: boolean, variantDir: string) => Promise<VariantRun>;

export interface TimedRounds {
  /** Each variant's run.json, now with its samples, in the order given. */
  readonly runs: readonly RunFile[];
  readonly interrupted: boolean;
}

/**
 * `--repeat N` (or the suites' `repeat:` rules) after each variant's first run: rounds 2…N run the
 * timed tests again, the variants alternating in ABBA order (round 2 candidate first, round 3
 * baseline first, …) so that a machine's drift — warming, throttling, a neighbour's load — falls on
 * both sides alike. Every round is a run directory of its own: an interrupted round resumes.
 */
export async function timedRounds(
  firsts: readonly VariantRun[],
  repeat: number | undefined,
  runRound: RoundRunner,
  note: (message: string) => void,
): Promise<TimedRounds> {
  const timed: TimedTests[] = firsts.map((first) => timedTests(first.run, repeat, first.repeatRules));
  const rounds = Math.max(...timed.map(roundsOf));
  const collected = firsts.map(() => [] as { round: number; dir: string; run: RunFile }[]);
  if (rounds <= 1) return { runs: firsts.map((f) => f.run), interrupted: false };
  for (let round = 2; round <= rounds; round++) {
    const order = round % 2 === 0 ? [...firsts.keys()].reverse() : [...firsts.keys()];
    for (const side of order) {
      const first = firsts[side]!;
      const filters = roundFilters(timed[side]!, round);
      if (filters.length === 0) continue;
      const dir = roundDir(first.dir.root, round);
      let run = await doneRound(dir);
      if (!run) {
        note(`\n== ${first.run.run.variant}: repeat round ${round}/${rounds} (${filters.length} timed test${filters.length === 1 ? '' : 's'}) ==`);
        // A round times the tests named, all of them: no shard, no early stop, no store to read.
        const { shard: _s, durations: _d, repeat: _r, failFast: _f, baselineRun: _b, order: _o, orderStore: _os, orderNight: _on, ...request } = first.request;
        run = (await runRound({ ...request, filters }, dir, existsSync(join(dir, 'journal.jsonl')), first.dir.root)).run;
      }
      if (run.run.status === 'interrupted') return { runs: firsts.map((f) => f.run), interrupted: true };
      collected[side]!.push({ round, dir, run });
    }
  }
  const runs = firsts.map((first, side) => {
    const run = withSamples(first.run, first.dir.root, collected[side]!, timed[side]!);
    // The first round's run.json again, now with every round's samples.
    writeRun(first.dir.runFile, run);
    return run;
  });
  return { runs, interrupted: false };
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { classify, type ExpectationChanges, updateFails, updateFlakes } from '../compare/expectations-update.js';
import { InputError } from '../model/errors.js';
import { outputDirectory, readInputText, writeFileAtomic } from '../model/json-file.js';
import { readRun } from '../model/run-file.js';
import { runFileOf } from './comparison-inputs.js';

export interface ExpectationsUpdateRequest {
  /** Runs of one variant on one setup (run directories or run.json files). */
  readonly runs: readonly string[];
  readonly out: string;
  /** Write `<variant>-<gfx>-*.txt` (the runs' one GPU family) instead of `<variant>-*.txt`. */
  readonly perGfx: boolean;
  readonly now: Date;
}

export interface UpdatedFile extends ExpectationChanges {
  readonly file: string;
}

/** `svmtest expectations update`: the fails and flakes files of a setup, from its runs. */
export function updateExpectationFiles(request: ExpectationsUpdateRequest): UpdatedFile[] {
  if (request.runs.length === 0) throw new InputError('expectations update: give the runs to learn from (run directories or run.json files)');
  const runs = request.runs.map((r) => readRun(runFileOf(r)));
  const variants = [...new Set(runs.map((r) => r.run.variant))];
  if (variants.length > 1) throw new InputError(`expectations update: the runs are of several variants (${variants.join(', ')}); expectations are per variant`);
  const gfx = [...new Set(runs.flatMap((r) => r.run.environment.gpus.map((g) => g.gfx)))].sort();
  if (request.perGfx && gfx.length !== 1) {
    throw new InputError(`--per-gfx: the runs are of ${gfx.length === 0 ? 'no GPU family' : `several GPU families (${gfx.join(', ')})`}; expected exactly one`);
  }
  const prefix = request.perGfx ? `${variants[0]}-${gfx[0]}` : variants[0]!;
  outputDirectory(request.out, 'expectations update -o', true);
  const { fails, flakes } = classify(runs);
  const note = `added by svmtest expectations update on ${request.now.toISOString().slice(0, 10)} from run${runs.length === 1 ? '' : 's'} ${runs.map((r) => r.run.id).join(', ')}`;
  const read = (name: string) => {
    const file = join(request.out, name);
    return existsSync(file) ? readInputText(file, 'an expectation file') : '';
  };
  const written: UpdatedFile[] = [];
  for (const [name, changes] of [
    [`${prefix}-fails.txt`, updateFails(read(`${prefix}-fails.txt`), fails, flakes, note)],
    [`${prefix}-flakes.txt`, updateFlakes(read(`${prefix}-flakes.txt`), flakes, note)],
  ] as const) {
    const file = join(request.out, name);
    if (changes.text === '' && !existsSync(file)) continue;
    writeFileAtomic(file, changes.text);
    written.push({ file, ...changes });
  }
  return written;
}

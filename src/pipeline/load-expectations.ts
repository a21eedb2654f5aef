import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expectationFileNames, NO_EXPECTATIONS, parseExpectations, type Expectations } from '../compare/expectations.js';
import { InputError } from '../model/errors.js';
import { readInputText } from '../model/json-file.js';
import type { RunFile } from '../model/run.js';

/** The expectation files of a directory that apply to this run's variant and GPU families. */
export function loadExpectations(dir: string | undefined, candidate: RunFile): Expectations {
  if (!dir) return NO_EXPECTATIONS;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`--expectations ${dir}: not a directory`);
  const wanted = expectationFileNames(
    candidate.run.variant,
    candidate.run.environment.gpus.map((g) => g.gfx),
  );
  const present = new Set(readdirSync(dir));
  const files = wanted.filter((name) => present.has(name)).map((name) => ({ name, text: readInputText(join(dir, name), 'an expectation file') }));
  return parseExpectations(files);
}

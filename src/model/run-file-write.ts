// Writing needs none of reading's schema validators (a 390 KB chunk of compiled code): a command
// that only writes results (parse) does not load them.
import type { ComparisonFile } from './comparison.js';
import { writeJsonAtomic } from './json-file.js';
import type { RunFile } from './run.js';

export function writeRun(file: string, run: RunFile): void {
  writeJsonAtomic(file, run);
}

export function writeComparison(file: string, comparison: ComparisonFile): void {
  writeJsonAtomic(file, comparison);
}

import { join, resolve } from 'node:path';
import { importRun, type ImportedReport } from '../engine/import-results.js';
import { InputError } from '../model/errors.js';
import { readInputText } from '../model/json-file.js';
import { writeRun } from '../model/run-file.js';
import { toolVersion } from '../model/version.js';
import { parseResults } from '../parsers/formats.js';
import { EXIT, type ExitCode } from '../compare/exit-policy.js';
import { timestampDir } from '../pipeline/run-dir.js';
import { note } from './screen.js';

export interface ParseCommandOptions {
  suite: string[];
  variant: string;
  format?: string;
  skipRegex?: string;
  out?: string;
}

// hip-tests registers its tests with this skip marker; other suites may pass --skip-regex.
const KNOWN_SKIP_PATTERNS: Record<string, RegExp> = { 'hip-tests': /HIP_SKIP_THIS_TEST/ };

function readText(file: string): string {
  const text = readInputText(file, 'a test output file');
  if (text === '') throw new InputError(`${file}: is empty; expected test output`);
  return text;
}

function skipPattern(suite: string, skipRegex: string | undefined): RegExp | undefined {
  if (skipRegex === undefined) return KNOWN_SKIP_PATTERNS[suite];
  try {
    return new RegExp(skipRegex);
  } catch (error) {
    throw new InputError(`--skip-regex: not a valid regular expression (${(error as Error).message})`);
  }
}

export async function parseCommand(files: string[], options: ParseCommandOptions): Promise<ExitCode> {
  const suites = options.suite;
  if (suites.length !== 1 && suites.length !== files.length) {
    throw new InputError(`--suite: give one suite for all files, or one per file in order (got ${suites.length} for ${files.length} files)`);
  }
  for (const suite of suites) {
    if (!/^[A-Za-z0-9][\w.+-]*$/.test(suite)) throw new InputError(`--suite "${suite}": expected a name of letters, digits, . _ + - (no /)`);
  }
  const reports: ImportedReport[] = files.map((file, i) => {
    const suite = suites.length === 1 ? suites[0]! : suites[i]!;
    const text = readText(file);
    const pattern = skipPattern(suite, options.skipRegex);
    try {
      const report = parseResults(text, { ...(options.format ? { format: options.format } : {}), ...(pattern ? { skipPattern: pattern } : {}) });
      note(`${file}: ${report.format}, ${report.tests.length} tests`);
      return { source: file, suite, report };
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`${file}: ${error.message}`, { cause: error });
      throw error;
    }
  });
  const run = importRun(reports, { variant: options.variant, now: new Date(), toolVersion: toolVersion() });
  const target = options.out ?? timestampDir('reports', 'parse', new Date());
  const file = target.endsWith('.json') ? resolve(target) : join(resolve(target), 'run.json');
  writeRun(file, run);
  note(`wrote ${file} (${run.tests.length} tests, variant ${run.run.variant})`);
  return EXIT.ok;
}

import { join, resolve } from 'node:path';
import { InputError } from '../model/errors.js';
import { isRfc3339 } from '../model/sane-values.js';
import { MAX_TEST_NAME, testNameProblem, type RunFile } from '../model/run.js';
import { writeRun } from '../model/run-file-write.js';
import { fileTextInput } from '../model/text-input.js';
import { toolVersion } from '../model/version.js';
import { parseResults } from '../parsers/formats.js';
import { importRun, type ImportedReport } from '../results/import-results.js';
import { timestampDir } from './run-dir.js';

export interface ParseRequest {
  readonly files: readonly string[];
  /** One suite for all files, or one per file in order. */
  readonly suites: readonly string[];
  readonly variant: string;
  readonly format?: string;
  readonly skipRegex?: string;
  readonly out?: string;
  /** What the files cannot say: the kernel they ran on, the GPU families, the kernel's commit, the night. */
  readonly kernelRelease?: string;
  readonly gfx?: readonly string[];
  readonly commit?: string;
  readonly night?: string;
  readonly now: Date;
}

function checkProvenance(request: ParseRequest): void {
  if (request.kernelRelease !== undefined && !/^[\w.+~-]{1,200}$/.test(request.kernelRelease)) {
    throw new InputError(`--kernel-release "${request.kernelRelease.slice(0, 60)}": expected a release like 6.18.0-rc3 (letters, digits, . _ + ~ -)`);
  }
  for (const g of request.gfx ?? [])
    if (!/^gfx[0-9a-f]{3,5}$/.test(g)) throw new InputError(`--gfx "${g.slice(0, 40)}": expected a GPU family like gfx942 (comma-separated for several)`);
  if (request.commit !== undefined && !/^[0-9a-f]{7,40}$/.test(request.commit))
    throw new InputError(`--commit "${request.commit.slice(0, 60)}": expected a git commit hash (hex)`);
  if (request.night !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(request.night) || !isRfc3339(`${request.night}T00:00:00Z`))) {
    throw new InputError(`--night "${request.night.slice(0, 40)}": expected a date, YYYY-MM-DD`);
  }
}

// hip-tests registers its tests with this skip marker; other suites may pass --skip-regex.
const KNOWN_SKIP_PATTERNS: Record<string, RegExp> = { 'hip-tests': /HIP_SKIP_THIS_TEST/ };

function skipPattern(suite: string, skipRegex: string | undefined): RegExp | undefined {
  if (skipRegex === undefined) return KNOWN_SKIP_PATTERNS[suite];
  try {
    return new RegExp(skipRegex);
  } catch (error) {
    throw new InputError(`--skip-regex: not a valid regular expression (${(error as Error).message})`);
  }
}

/** Test output files (gtest, ctest, Catch2, JUnit; detected by content) → one saved run.json. */
export function parseOutputs(request: ParseRequest, note: (message: string) => void): { file: string; run: RunFile } {
  const { files, suites } = request;
  checkProvenance(request);
  if (suites.length !== 1 && suites.length !== files.length) {
    throw new InputError(`--suite: give one suite for all files, or one per file in order (got ${suites.length} for ${files.length} files)`);
  }
  for (const suite of suites) {
    if (!/^[A-Za-z0-9][\w.+-]{0,127}$/.test(suite)) throw new InputError(`--suite "${suite}": expected a name of letters, digits, . _ + - (no /)`);
  }
  const reports: ImportedReport[] = files.map((file, i) => {
    const suite = suites.length === 1 ? suites[0]! : suites[i]!;
    // XML is parsed as it is read: a 100,000-test report is never one 32 MB string.
    const input = fileTextInput(file, 'a test output file');
    const pattern = skipPattern(suite, request.skipRegex);
    try {
      const report = parseResults(input, { ...(request.format ? { format: request.format } : {}), ...(pattern ? { skipPattern: pattern } : {}) });
      note(`${file}: ${report.format}, ${report.tests.length} tests`);
      return { source: file, suite, report };
    } catch (error) {
      // A read that failed part way already names the file.
      if (error instanceof InputError && !error.message.startsWith(`${file}: `)) throw new InputError(`${file}: ${error.message}`, { cause: error });
      throw error;
    }
  });
  for (const { source, report } of reports) {
    report.tests.forEach((test, i) => {
      const problem = testNameProblem(test.name);
      if (problem) throw new InputError(`${source}: test ${i + 1}: its name ${problem}; a test name holds no NUL and at most ${MAX_TEST_NAME} characters`);
    });
  }
  const gfx = [...new Set(request.gfx ?? [])];
  const environment = {
    gpus: gfx.map((g, i) => ({ node: i + 1, gfx: g, name: g, xnack: null })),
    ...(request.kernelRelease ? { kernelRelease: request.kernelRelease } : {}),
    ...(request.commit ? { kernelBuild: { commit: request.commit } } : {}),
  };
  const run = importRun(reports, {
    variant: request.variant,
    environment,
    ...(request.night ? { night: request.night } : {}),
    now: request.now,
    toolVersion: toolVersion(),
  });
  if (!reports.some((r) => r.report.startedAt))
    note(`no file says when its tests ran: the run starts ${request.night ? `on the night given (${request.night})` : 'now'}`);
  const target = request.out ?? timestampDir('reports', 'parse', request.now);
  const file = target.endsWith('.json') ? resolve(target) : join(resolve(target), 'run.json');
  writeRun(file, run);
  return { file, run };
}

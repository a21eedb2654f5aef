import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from './errors.js';
import { readJsonFile } from './json-file.js';
import { ByTest, RUN_SCHEMA_VERSION, testId, type RunFile } from './run.js';
import { neutralizeLine } from './untrusted-text.js';
import { validateAgainst } from './schema.js';
import type { ComparisonFile } from './comparison.js';
import { COMPARISON_SCHEMA_VERSION } from './comparison.js';

function checkVersion(data: unknown, file: string, expected: number, what: string): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InputError(`${file}: expected a JSON object (${what})`);
  }
  const version = (data as { schemaVersion?: unknown }).schemaVersion;
  if (version === undefined) throw new InputError(`${file}: schemaVersion is missing; expected ${what} with schemaVersion ${expected}`);
  if (version !== expected) {
    // Only a number is quoted back: the file may not be ours to show.
    const found = typeof version === 'number' ? String(version) : `a ${typeof version}`;
    throw new InputError(`${file}: schemaVersion is ${found}, this svmtest reads ${what} version ${expected}`);
  }
}

export function readRun(path: string): RunFile {
  const { data, file } = readJsonFile(path, 'run.json');
  if ((data as { kind?: unknown })?.kind === 'comparison') {
    throw new InputError(`${file}: is a comparison, expected a run (run.json)`);
  }
  checkVersion(data, file, RUN_SCHEMA_VERSION, 'a run.json');
  validateAgainst('run.schema.json', data, file);
  const run = data as RunFile;
  const shard = run.run.shard;
  // What a schema cannot say: a shard is one of its sharding's parts.
  if (shard && shard.index > shard.total) throw new InputError(`${file}: run.shard is ${shard.index}/${shard.total}; expected i/n with 1 ≤ i ≤ n`);
  rejectDuplicateTests(run, file);
  return run;
}

/** A run holds each test once: two results for one id would get two contradictory verdicts. */
function rejectDuplicateTests(run: RunFile, file: string): void {
  const seen = new ByTest<true>();
  run.tests.forEach((test, i) => {
    if (seen.get(test.suite, test.name))
      throw new InputError(`${file}: tests[${i}] (${neutralizeLine(testId(test))}) appears twice; a run holds each test once`);
    seen.set(test.suite, test.name, true);
  });
}

export function readComparison(path: string): ComparisonFile {
  const { data, file } = readJsonFile(path, 'comparison.json');
  checkVersion(data, file, COMPARISON_SCHEMA_VERSION, 'a comparison.json');
  validateAgainst('comparison.schema.json', data, file);
  return data as ComparisonFile;
}

/** A saved result of either kind: a directory holding comparison.json or run.json, or one of those files. */
export function readResult(path: string): { kind: 'run'; run: RunFile } | { kind: 'comparison'; comparison: ComparisonFile } {
  if (existsSync(path) && statSync(path).isDirectory()) {
    if (existsSync(join(path, 'comparison.json'))) return { kind: 'comparison', comparison: readComparison(path) };
    if (existsSync(join(path, 'run.json'))) return { kind: 'run', run: readRun(path) };
    throw new InputError(`${path}: is a directory without run.json or comparison.json`);
  }
  const { data, file } = readJsonFile(path, 'run.json or comparison.json');
  if ((data as { kind?: unknown })?.kind === 'comparison') return { kind: 'comparison', comparison: readComparison(file) };
  return { kind: 'run', run: readRun(file) };
}

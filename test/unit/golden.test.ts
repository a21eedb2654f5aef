import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResults } from '../../src/parsers/formats.js';
import { parseKernelLog } from '../../src/parsers/kernel-log.js';
import { parseRocminfo } from '../../src/parsers/rocminfo.js';
import { parseCtestList, parseCtestShowOnly, parseGtestList, parseGtestListJson, parseNameList } from '../../src/parsers/test-lists.js';
import { REPO_ROOT, REAL_FIXTURES } from '../helpers/paths.js';

// Every real output under test/fixtures/real is parsed and compared with test/golden/<same path>.json.
// Regenerate (after reviewing the change!) with UPDATE_GOLDEN=1.
const GOLDEN_DIR = join(REPO_ROOT, 'test', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

type Reader = (text: string) => unknown;

const hipSkip = { skipPattern: /HIP_SKIP_THIS_TEST/ };
const READERS: Array<[RegExp, Reader]> = [
  [/\/README\.md$|\.cc$|CMakeLists\.txt$/, () => null], // sources and notes, not outputs: listed so nothing is forgotten
  [/\.rc$/, (text) => ({ exitCode: Number(/rc=(\d+)/.exec(text)?.[1]) })],
  [/list_tests\.txt$|-list-tests\.txt$/, parseGtestList],
  [/list_tests\.json$/, (text) => parseGtestListJson(JSON.parse(text))],
  [/catch2-list\.txt$/, parseNameList],
  [/ctest-N\.txt$/, parseCtestList],
  [/ctest-show-only\.json$/, (text) => parseCtestShowOnly(JSON.parse(text))],
  [/amdgpu-module-load-order\.txt$/, parseNameList],
  [/rocminfo-.*\.txt$/, parseRocminfo],
  [/\/dmesg\//, (text) => parseKernelLog(text)],
  [/catch2-|ctest-/, (text) => parseResults(text, hipSkip)],
  [/./, (text) => parseResults(text)],
];

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

describe('golden: every real output parses to its committed JSON', () => {
  const files = walk(REAL_FIXTURES);
  it('finds the fixtures', () => expect(files.length).toBeGreaterThan(20));
  for (const file of files) {
    const rel = relative(REAL_FIXTURES, file);
    it(rel, () => {
      const reader = READERS.find(([pattern]) => pattern.test(`/${rel}`))![1];
      const actual = reader(readFileSync(file, 'utf8'));
      if (actual === null) return;
      const goldenFile = join(GOLDEN_DIR, `${rel}.json`);
      if (UPDATE || !existsSync(goldenFile)) {
        if (!UPDATE) throw new Error(`no golden file ${goldenFile}; run with UPDATE_GOLDEN=1 after reviewing the output`);
        mkdirSync(dirname(goldenFile), { recursive: true });
        writeFileSync(goldenFile, `${JSON.stringify(actual, null, 2)}\n`);
      }
      expect(JSON.parse(JSON.stringify(actual))).toEqual(JSON.parse(readFileSync(goldenFile, 'utf8')));
    });
  }
});

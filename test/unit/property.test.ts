import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { textInput, type TextInput } from '../../src/model/text-input.js';
import { findFormat, formatNames, parseResults } from '../../src/parsers/formats.js';
import { parseKernelLog } from '../../src/parsers/kernel-log.js';
import { parseCtestShowOnly, parseGtestList, parseGtestListJson } from '../../src/parsers/test-lists.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REAL_FIXTURES } from '../helpers/paths.js';

// The only thing allowed to escape a parser is the tool's own input error.
function onlyInputErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
  }
}

// Seeded from the real outputs kept in the repository: a missing folder fails here, it never skips.
const seeds: string[] = [];
for (const dir of ['gtest-1.12', 'ctest-3.25-catch2-2.13', 'kfdtest-logs', 'hip-tests-logs', 'dmesg']) {
  for (const f of readdirSync(join(REAL_FIXTURES, dir))) seeds.push(readFileSync(join(REAL_FIXTURES, dir, f), 'utf8'));
}
seeds.push('[ RUN      ] A.B\n[       OK ] A.B (1 ms)\n', '<testsuites><testsuite><testcase name="x"/></testsuite></testsuites>');

/** A real output, cut, spliced and sprinkled with junk. */
const mutated = fc
  .tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat(), fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean())
  .map(([seed, a, b, junk, truncate]) => {
    const i = a % (seed.length + 1);
    const j = b % (seed.length + 1);
    return truncate ? seed.slice(0, Math.max(i, j)) : seed.slice(0, Math.min(i, j)) + junk + seed.slice(Math.max(i, j));
  });

const runs = { numRuns: Number(process.env.FC_RUNS ?? 300) };

describe('parsers never throw anything but an input error', () => {
  it('auto-detection on random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => onlyInputErrors(() => parseResults(text))),
      runs,
    );
  });

  it('auto-detection on mutated real outputs', () => {
    fc.assert(
      fc.property(mutated, (text) => onlyInputErrors(() => parseResults(text))),
      runs,
    );
  });

  it('every forced format on mutated real outputs', () => {
    fc.assert(
      fc.property(mutated, fc.constantFrom(...formatNames()), (text, format) => onlyInputErrors(() => findFormat(format).parse(textInput(text), {}))),
      runs,
    );
  });

  it('a file parsed in pieces gives what the whole text gives, wherever the pieces are cut', () => {
    const outcome = (fn: () => unknown) => {
      try {
        return { ok: fn() };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    const inPieces = (text: string, cuts: number[]): TextInput => {
      const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      const pieces = [0, ...at].map((from, i) => text.slice(from, at[i] ?? text.length));
      return { ...textInput(text), pieces: () => pieces };
    };
    fc.assert(
      fc.property(mutated, fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        expect(outcome(() => parseResults(inPieces(text, cuts)))).toEqual(outcome(() => parseResults(text)));
      }),
      runs,
    );
  });

  it('kernel log and list parsers on mutated outputs', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        onlyInputErrors(() => parseKernelLog(text));
        onlyInputErrors(() => parseGtestList(text));
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch {
          return;
        }
        onlyInputErrors(() => parseGtestListJson(data));
        onlyInputErrors(() => parseCtestShowOnly(data));
      }),
      runs,
    );
  });

  it('JSON readers on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (data) => {
        onlyInputErrors(() => parseGtestListJson(data));
        onlyInputErrors(() => parseCtestShowOnly(data));
        onlyInputErrors(() => findFormat('gtest-json').parse(textInput(JSON.stringify(data)), {}));
      }),
      runs,
    );
  });

  it('gtest console: every test it reports has a name and a known status', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        onlyInputErrors(() => {
          const report = findFormat('gtest-console').parse(textInput(text), {});
          for (const t of report.tests) expect(t.name.length).toBeGreaterThan(0);
        });
      }),
      runs,
    );
  });
});

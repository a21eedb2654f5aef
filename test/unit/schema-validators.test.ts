import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { generatedValidators } from '../../scripts/compile-schemas.mjs';
import { InputError } from '../../src/model/errors.js';
import { checkSaneValues, isRfc3339 } from '../../src/model/sane-values.js';
import { REPO_ROOT } from '../helpers/paths.js';

describe('schema validators compiled ahead of time', () => {
  it('the committed validators are those of the current schemas (npm run build regenerates them)', () => {
    const committed = readFileSync(join(REPO_ROOT, 'src', 'model', 'schema-validators.generated.js'), 'utf8');
    expect(committed === (generatedValidators() as string), 'src/model/schema-validators.generated.js is stale: run npm run build').toBe(true);
  });
});

describe('values a schema cannot refuse', () => {
  const run = () => ({
    schemaVersion: 1,
    run: { id: 'r', variant: 'v', target: 'host', startedAt: '2026-11-25T00:00:00.000Z', status: 'complete', environment: { gpus: [] }, toolVersion: '0' },
    tests: [{ suite: 's', name: 'a', status: 'pass', durationMs: 1, attempts: [{ status: 'pass', durationMs: 1 }], kernelEvents: [] }],
    errors: [],
  });

  it('a number that is not finite (1e400 parses as Infinity) is an input error naming the field', () => {
    const data = run();
    data.tests[0]!.durationMs = JSON.parse('1e400') as number;
    expect(() => checkSaneValues(data, 'run.json')).toThrow('run.json: tests[0].durationMs is not a finite number');
  });

  it.each(['zzzz-99-99T', '2026-02-31T00:00:00Z', '2026-11-25', '2026-11-25T25:00:00Z'])('startedAt "%s" is refused', (startedAt) => {
    const data = run();
    data.run.startedAt = startedAt;
    expect(() => checkSaneValues(data, 'run.json')).toThrow(InputError);
  });

  it('RFC 3339 with an offset or a leap second is accepted', () => {
    expect(isRfc3339('2026-11-25T10:00:00+02:00')).toBe(true);
    expect(isRfc3339('2016-12-31T23:59:60Z')).toBe(true);
    expect(isRfc3339('2024-02-29T00:00:00Z')).toBe(true);
    expect(isRfc3339('2026-02-29T00:00:00Z')).toBe(false);
  });
});

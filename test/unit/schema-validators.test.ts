import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { generatedValidators } from '../../scripts/compile-schemas.mjs';
import { REPO_ROOT } from '../helpers/paths.js';

describe('schema validators compiled ahead of time', () => {
  it('the committed validators are those of the current schemas (npm run build regenerates them)', () => {
    const committed = readFileSync(join(REPO_ROOT, 'src', 'model', 'schema-validators.generated.js'), 'utf8');
    expect(committed === (generatedValidators() as string), 'src/model/schema-validators.generated.js is stale: run npm run build').toBe(true);
  });
});

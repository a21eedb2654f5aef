import type { ErrorObject, ValidateFunction } from 'ajv';
import { InputError } from './errors.js';
import { checkSaneValues } from './sane-values.js';
// The schemas live in the package (schema/*.json) so other tools can validate our files too; they
// are compiled ahead of time (scripts/compile-schemas.mjs), so no start pays for compiling them.
import { validateComparison, validateRun } from './schema-validators.generated.js';

const VALIDATORS: Record<string, ValidateFunction> = {
  'run.schema.json': validateRun as unknown as ValidateFunction,
  'comparison.schema.json': validateComparison as unknown as ValidateFunction,
};

function validatorFor(schemaFile: string): ValidateFunction {
  const validate = VALIDATORS[schemaFile];
  if (!validate) throw new Error(`no compiled validator for ${schemaFile}`);
  return validate;
}

/** `/tests/3/status` → `tests[3].status`, the way a user would point at it. */
function fieldPath(instancePath: string): string {
  if (!instancePath) return '(top level)';
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function describe(error: ErrorObject, data: unknown): string {
  const where = fieldPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  let what = error.message ?? 'is invalid';
  if (error.keyword === 'enum') what = `must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
  if (error.keyword === 'additionalProperties') what = `has unknown field "${String(params.additionalProperty)}"`;
  if (error.keyword === 'required') what = `is missing the field "${String(params.missingProperty)}"`;
  const testMatch = /^\/tests\/(\d+)/.exec(error.instancePath);
  const test =
    testMatch && Array.isArray((data as { tests?: unknown[] }).tests)
      ? (data as { tests: Array<{ suite?: unknown; name?: unknown }> }).tests[Number(testMatch[1])]
      : undefined;
  const named = test && typeof test.name === 'string' ? ` (test ${String(test.suite)}/${test.name})` : '';
  return `${where}${named} ${what}`;
}

export function validateAgainst(schemaFile: string, data: unknown, source: string): void {
  const validate = validatorFor(schemaFile);
  if (!validate(data)) {
    const first = validate.errors?.[0];
    throw new InputError(`${source}: ${first ? describe(first, data) : 'does not match its schema'}`);
  }
  checkSaneValues(data, source);
}

import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { ZodError, ZodType, ZodTypeDef } from 'zod';
import { InputError } from './errors.js';
import { readInputText } from './json-file.js';

export interface LoadedYaml<T> {
  readonly value: T;
  readonly file: string;
  /** file:line of a key path, for messages about values that were valid YAML but wrong later. */
  readonly where: (path: readonly (string | number)[]) => string;
}

function locator(doc: Document, counter: LineCounter, file: string) {
  return (path: readonly (string | number)[], key?: string): string => {
    // An unknown key is found by its own node: the line of the key, not of the map holding it.
    const parent = key !== undefined ? doc.getIn(path, true) : undefined;
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === key) : undefined;
    if (pair && isNode(pair.key) && pair.key.range) return `${file}:${counter.linePos(pair.key.range[0]).line}`;
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return `${file}:${counter.linePos(node.range[0]).line}`;
    }
    return file;
  };
}

function describeZodIssue(error: ZodError, where: (path: (string | number)[], key?: string) => string): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.path.length > 0 ? `${issue.path.join('.')}.${issue.keys[0]}` : issue.keys[0];
    return `${where(issue.path, issue.keys[0])}: ${key}: unknown key "${issue.keys[0]}"`;
  }
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  let what = issue.message;
  if (issue.code === 'invalid_type' && issue.received === 'undefined') what = 'is required';
  if (issue.code === 'invalid_enum_value') what = `must be one of ${issue.options.join(', ')} (got "${String(issue.received)}")`;
  return `${where(issue.path)}: ${key}: ${what}`;
}

/** YAML text → a value checked against a zod schema, with errors as `file:line: key: what was expected`. */
export function parseYaml<T>(text: string, file: string, schema: ZodType<T, ZodTypeDef, unknown>): LoadedYaml<T> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const line = error.linePos?.[0]?.line ?? counter.linePos(error.pos[0]).line;
    throw new InputError(`${file}:${line}: not valid YAML (${error.message.split('\n')[0]})`);
  }
  const where = locator(doc, counter, file);
  let value: unknown;
  try {
    // Aliases are expanded with the yaml library's default limit: a billion-laughs document stops here.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new InputError(`${file}: YAML aliases expand too much (${(error as Error).message}); expected a plain configuration`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InputError(describeZodIssue(parsed.error, where));
  return { value: parsed.data, file, where };
}

export function loadYamlFile<T>(file: string, schema: ZodType<T, ZodTypeDef, unknown>): LoadedYaml<T> {
  return parseYaml(readInputText(file, 'a YAML file'), file, schema);
}

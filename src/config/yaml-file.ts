import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { ZodError, ZodType, ZodTypeDef } from 'zod';
import { InputError } from '../model/errors.js';

export interface LoadedYaml<T> {
  readonly value: T;
  readonly file: string;
  /** file:line of a key path, for messages about values that were valid YAML but wrong later. */
  readonly where: (path: readonly (string | number)[]) => string;
}

function locator(doc: Document, counter: LineCounter, file: string) {
  return (path: readonly (string | number)[]): string => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return `${file}:${counter.linePos(node.range[0]).line}`;
    }
    return file;
  };
}

function describeZodIssue(error: ZodError, where: (path: (string | number)[]) => string): string {
  const issue = error.issues[0]!;
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  let what = issue.message;
  if (issue.code === 'unrecognized_keys') what = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
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
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) throw new InputError(describeZodIssue(parsed.error, where));
  return { value: parsed.data, file, where };
}

export function loadYamlFile<T>(file: string, schema: ZodType<T, ZodTypeDef, unknown>): LoadedYaml<T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`${file}: cannot read the file`);
  }
  return parseYaml(text, file, schema);
}

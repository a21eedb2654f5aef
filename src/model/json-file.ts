import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from './errors.js';

/** Reads a JSON file, or `<dir>/<defaultName>` when given a directory, with errors that name the file. */
export function readJsonFile(path: string, defaultName: string): { data: unknown; file: string } {
  let file = path;
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new InputError(`${path}: no such file or directory`);
  }
  if (stat.isDirectory()) {
    file = join(path, defaultName);
    try {
      statSync(file);
    } catch {
      throw new InputError(`${path}: is a directory without ${defaultName}`);
    }
  }
  const text = readFileSync(file, 'utf8');
  if (text.trim() === '') throw new InputError(`${file}: is empty, expected a JSON ${defaultName}`);
  try {
    return { data: JSON.parse(text) as unknown, file };
  } catch (error) {
    throw new InputError(`${file}: is not valid JSON (${(error as Error).message}); expected ${defaultName}`);
  }
}

/** Writes through a temporary file and rename, so a reader never sees half a file. */
export function writeJsonAtomic(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 1)}\n`);
  renameSync(tmp, file);
}

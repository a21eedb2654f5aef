import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InfraError, InputError } from './errors.js';

/** Inputs larger than this are refused before reading: a run of 100,000 tests is about 20 MB. */
export function maxInputBytes(): number {
  const mib = Number(process.env.SVMTEST_MAX_INPUT_MIB);
  return (Number.isFinite(mib) && mib > 0 ? mib : 256) * 1024 * 1024;
}

/**
 * Reads an input file as text after checking what it is: a regular file (never a FIFO, device or
 * directory — a symlink to /dev/zero would grow without end) of a size that can be held.
 */
export function readInputText(file: string, what: string): string {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file);
  } catch {
    throw new InputError(`${file}: no such file`);
  }
  if (stat.isDirectory()) throw new InputError(`${file}: is a directory; expected ${what}`);
  if (!stat.isFile()) throw new InputError(`${file}: is not a regular file (a device, FIFO or socket); expected ${what}`);
  const limit = maxInputBytes();
  if (stat.size > limit) {
    throw new InputError(
      `${file}: is ${Math.round(stat.size / 1024 / 1024)} MiB, more than the ${limit / 1024 / 1024} MiB svmtest reads (SVMTEST_MAX_INPUT_MIB raises it); expected ${what}`,
    );
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected ${what}`);
  }
}

/** Where JSON.parse stopped, as line:column, without quoting the text (it may not be ours to show). */
export function jsonErrorPosition(text: string, error: unknown): string {
  const m = /position (\d+)/.exec((error as Error).message);
  if (!m) return /end of JSON/.test((error as Error).message) ? 'it ends early' : 'not valid JSON';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return `line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
}

/** Reads a JSON file, or `<dir>/<defaultName>` when given a directory, with errors that name the file. */
export function readJsonFile(path: string, defaultName: string): { data: unknown; file: string } {
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, defaultName);
  } catch {
    throw new InputError(`${path}: no such file or directory`);
  }
  const text = readInputText(file, `a JSON ${defaultName}`);
  if (text.trim() === '') throw new InputError(`${file}: is empty, expected a JSON ${defaultName}`);
  try {
    return { data: JSON.parse(text) as unknown, file };
  } catch (error) {
    throw new InputError(`${file}: is not valid JSON (${jsonErrorPosition(text, error)}); expected ${defaultName}`);
  }
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

/** A write that failed because the disk is full is an infrastructure failure (exit 3), said in one line. */
export function writeFailure(file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code && DISK_FULL.has(code)) return new InfraError(`disk full: cannot write ${file} (${code})`, { cause: error });
  return new InfraError(`cannot write ${file} (${code ?? (error as Error).message})`, { cause: error });
}

/** Writes all of `data` to fd: writeSync may write less than asked. */
export function writeAll(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset);
}

/** Writes through a temporary file and rename: a reader never sees half a file, a failed write leaves nothing. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, Buffer.from(text));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw writeFailure(file, error);
  }
}

export function writeJsonAtomic(file: string, data: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(data, null, 1)}\n`);
}

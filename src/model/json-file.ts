import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { InfraError, InputError } from './errors.js';
import { fileSystemError } from './fs-errors.js';

/** Inputs larger than this are refused before reading: a run of 100,000 tests is about 20 MB. */
export function maxInputBytes(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.SVMTEST_MAX_INPUT_MIB;
  if (given === undefined || given === '') return 256 * 1024 * 1024;
  // As strict as a flag: a limit that is silently ignored is no limit.
  if (!/^\d+$/.test(given.trim()) || Number(given) < 1 || Number(given) > 1024 * 1024) {
    throw new InputError(`SVMTEST_MAX_INPUT_MIB="${given.slice(0, 40)}": expected a whole number of MiB from 1 to 1048576`);
  }
  return Number(given) * 1024 * 1024;
}

/**
 * Reads an input file as text after checking what it is: a regular file (never a FIFO, device or
 * directory — a symlink to /dev/zero would grow without end) of a size that can be held.
 */
export function readInputText(file: string, what: string): string {
  checkInputFile(file, what);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw unreadable(file, what, error);
  }
}

/** The checks before an input is read: a regular file, of a size svmtest holds. Returns its size. */
export function checkInputFile(file: string, what: string): number {
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
  return stat.size;
}

export function unreadable(file: string, what: string, error: unknown): InputError {
  return new InputError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected ${what}`);
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

/** A failed write in one line: a path that cannot be used is the user's (exit 2), a full or broken disk the machine's (3). */
export function writeFailure(file: string, error: unknown): Error {
  return fileSystemError(error, file) ?? new InfraError(`cannot write ${file} (${(error as Error).message})`, { cause: error });
}

/** Writes all of `data` to fd: writeSync may write less than asked. */
export function writeAll(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset);
}

/**
 * Writes through a temporary file and rename: a reader never sees half a file, a failed write
 * leaves nothing, and a symlink planted where the file goes is replaced, never followed (the
 * temporary file is created exclusively, and rename swaps the link itself). Every file svmtest
 * writes into an output directory goes through here.
 */
export function writeFileAtomic(file: string, content: string | Buffer | Iterable<string>): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, 'wx');
    try {
      if (Buffer.isBuffer(content)) writeAll(fd, content);
      else writePieces(fd, typeof content === 'string' ? [content] : content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (error) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was made: the path itself is what is wrong, said below
    }
    throw writeFailure(file, error);
  }
}

/**
 * A directory svmtest writes into: made when missing; a file there is refused (exit 2). The
 * directory the user named (`-o`, `given`) may be a symlink they made; one found inside an output
 * directory is replaced by a real directory, so nothing is written where it points.
 */
export function outputDirectory(dir: string, what: string, given = false): void {
  let stat: ReturnType<typeof lstatSync> | undefined;
  try {
    stat = given ? statSync(dir) : lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw writeFailure(dir, error);
  }
  try {
    if (stat?.isSymbolicLink()) unlinkSync(dir);
    else if (stat && !stat.isDirectory()) throw new InputError(`${dir}: is a file, not a directory; ${what} needs a directory to write into`);
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw writeFailure(dir, error);
  }
}

/**
 * Appends to a file someone else owns ($GITHUB_STEP_SUMMARY): only a regular file — a FIFO would
 * block svmtest forever, a device is never a summary. `content` gets the file's current size.
 */
export function appendToRegularFile(file: string, what: string, content: (size: number) => string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY, 0o644);
  } catch (error) {
    const failure = writeFailure(file, error);
    throw failure instanceof InputError ? new InputError(`${what} (${file}): ${failure.message.replace(`${file}: `, '')}`) : failure;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError(`${what} (${file}): is not a regular file (a FIFO, device or socket); nothing was appended`);
    writeAll(fd, Buffer.from(content(stat.size)));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw writeFailure(file, error);
  } finally {
    closeSync(fd);
  }
}

/** Writes pieces of text through one buffer, used again for each: no copy of the whole is ever made. */
function writePieces(fd: number, pieces: Iterable<string>): void {
  let buffer = Buffer.allocUnsafe(PIECE_CHARS * 3);
  for (const piece of pieces) {
    const bytes = Buffer.byteLength(piece);
    if (bytes > buffer.length) buffer = Buffer.allocUnsafe(bytes);
    buffer.write(piece, 0);
    writeAll(fd, buffer.subarray(0, bytes));
  }
}

/** The file JSON.stringify(data, null, 1) makes, with a newline; a run of 100,000 tests is written without being one string first. */
export function writeJsonAtomic(file: string, data: unknown): void {
  writeFileAtomic(file, jsonPieces(data));
}

const PIECE_CHARS = 64 * 1024;
const ELEMENTS_PER_PIECE = 100;
// JSON escapes every line break inside a string: each newline in its output is between values.
const indented = (json: string, by: string) => json.replace(/\n/g, `\n${by}`);

/**
 * `${JSON.stringify(data, null, 1)}\n`, in pieces of about PIECE_CHARS: an array in the top-level
 * object is serialised one element at a time. Touching tens of fresh megabytes costs more than the
 * serialising on this machine kind (`npm run bench -- overhead`).
 */
export function* jsonPieces(data: unknown): Generator<string> {
  if (data === null || typeof data !== 'object' || Array.isArray(data) || typeof (data as { toJSON?: unknown }).toJSON === 'function') {
    yield `${JSON.stringify(data, null, 1)}\n`;
    return;
  }
  const entries = Object.entries(data).filter(([, value]) => value !== undefined && typeof value !== 'function' && typeof value !== 'symbol');
  if (entries.length === 0) {
    yield '{}\n';
    return;
  }
  let piece = '{';
  for (const [i, [key, value]] of entries.entries()) {
    piece += `${i === 0 ? '' : ','}\n ${JSON.stringify(key)}: `;
    if (!Array.isArray(value) || value.length === 0) {
      piece += indented(JSON.stringify(value, null, 1), ' ');
      continue;
    }
    piece += '[';
    // A few hundred elements at a time, one level deeper: "[\n {…},\n {…}\n]" less its brackets, indented.
    for (let at = 0; at < value.length; at += ELEMENTS_PER_PIECE) {
      const part = JSON.stringify(value.slice(at, at + ELEMENTS_PER_PIECE), null, 1);
      piece += `${at === 0 ? '' : ','}${indented(part.slice(1, -2), ' ')}`;
      if (piece.length >= PIECE_CHARS) {
        yield piece;
        piece = '';
      }
    }
    piece += '\n ]';
  }
  yield `${piece}\n}\n`;
}

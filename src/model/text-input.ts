import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { InputError } from './errors.js';
import { checkInputFile, maxInputBytes, unreadable } from './json-file.js';

/** What a format is detected from: the start of the text. */
export const HEAD_CHARS = 64 * 1024;
// Small enough that each piece is an ordinary young object of the JavaScript heap: a 100,000-test
// report read whole is a 32 MB string, and on this machine kind touching that much fresh memory
// costs more than parsing it (`npm run bench -- overhead`).
const PIECE_BYTES = 64 * 1024;

/** A test output to parse: its start for detection, then the whole, in pieces or at once. */
export interface TextInput {
  /** The first HEAD_CHARS characters, or the whole text when it is shorter. */
  readonly head: string;
  /** Whether `head` is the whole text. */
  readonly complete: boolean;
  /** The whole text in pieces, from the start at each call: a streaming parser never holds it all. */
  pieces(): Iterable<string>;
  /** The whole text as one string, for the formats parsed that way. */
  text(): string;
}

export function textInput(text: string): TextInput {
  return {
    head: text.length > HEAD_CHARS ? text.slice(0, HEAD_CHARS) : text,
    complete: text.length <= HEAD_CHARS,
    pieces: () => [text],
    text: () => text,
  };
}

/** A file read as UTF-8 after the checks of any input (a regular file, not too large), its pieces as they are needed. */
export function fileTextInput(file: string, what: string): TextInput {
  const size = checkInputFile(file, what);
  const pieces = () => readPieces(file, what);
  let head = '';
  let complete = size === 0;
  const start = pieces();
  while (!complete && head.length < HEAD_CHARS) {
    const next = start.next();
    if (next.done) complete = true;
    else head += next.value;
  }
  start.return(undefined);
  return {
    head: head.length > HEAD_CHARS ? head.slice(0, HEAD_CHARS) : head,
    complete: complete && head.length <= HEAD_CHARS,
    pieces,
    text: () => {
      try {
        return readFileSync(file, 'utf8');
      } catch (error) {
        throw unreadable(file, what, error);
      }
    },
  };
}

function* readPieces(file: string, what: string): Generator<string> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw unreadable(file, what, error);
  }
  try {
    const buffer = Buffer.allocUnsafe(PIECE_BYTES);
    const decoder = new StringDecoder('utf8');
    const limit = maxInputBytes();
    for (let total = 0; ; ) {
      let read: number;
      try {
        read = readSync(fd, buffer, 0, PIECE_BYTES, null);
      } catch (error) {
        throw unreadable(file, what, error);
      }
      if (read === 0) break;
      // It grew while read (a log still written): no more than any input may be.
      total += read;
      if (total > limit) throw new InputError(`${file}: grew past the ${limit / 1024 / 1024} MiB svmtest reads while it was read; expected ${what}`);
      const piece = decoder.write(buffer.subarray(0, read));
      if (piece) yield piece;
    }
    const rest = decoder.end();
    if (rest) yield rest;
  } finally {
    closeSync(fd);
  }
}

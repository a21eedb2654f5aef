import { openSync, readSync, closeSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeEcho, type EchoKind } from '../model/record-echo.js';
import type { RunFile } from '../model/run.js';
import type { JournalRecord } from './journal.js';

const LOG_CHUNK = 2048;

/**
 * A run inside a lab job echoes what it records to the console, in model/record-echo.ts's lines:
 * each journal record the moment it is written, each test's log when the test ends, run.json at
 * the end and then the whole journal once more. Written synchronously: a line is out before the
 * next test starts, and a crash loses nothing already echoed.
 */
export class RecordEcho {
  private seq = 0;

  constructor(
    private readonly nonce: string,
    private readonly runDir: string,
    private readonly write: (line: string) => void = (line) => void writeSync(1, `${line}\n`),
  ) {}

  private emit(kind: EchoKind, payload: string): void {
    this.write(encodeEcho(this.nonce, this.seq++, kind, payload));
  }

  start(version: string): void {
    this.emit('S', version);
  }

  /** A journal record as written; a test's log follows its result. */
  record(line: string, record: JournalRecord): void {
    this.emit('J', line);
    if (record.type === 'test' && record.test.log) this.log(record.test.log);
  }

  private log(path: string): void {
    let fd: number;
    try {
      fd = openSync(join(this.runDir, path), 'r');
    } catch {
      return; // nothing was written to it
    }
    try {
      const buffer = Buffer.alloc(LOG_CHUNK);
      for (let offset = 0; ; ) {
        const n = readSync(fd, buffer, 0, LOG_CHUNK, offset);
        if (n <= 0) break;
        this.emit('L', `${path}\t${offset}\t${buffer.subarray(0, n).toString('base64')}`);
        offset += n;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** svmtest stopped on an error (a filter that selects nothing, a lost machine): its kind and words. */
  fail(kind: string, message: string): void {
    this.emit('X', JSON.stringify({ kind, message }));
  }

  /** run.json, then the journal again (what a mangled console line lost), then the end. */
  finish(run: RunFile, journalFile: string): void {
    this.emit('R', JSON.stringify(run));
    let lines: string[] = [];
    try {
      lines = readFileSync(journalFile, 'utf8').split('\n').filter(Boolean);
    } catch {
      // no journal (preflight failed before the first record)
    }
    for (const line of lines) this.emit('F', line);
    this.emit('E', String(lines.length));
  }
}

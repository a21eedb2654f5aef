import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { InputError } from '../model/errors.js';
import { writeAll, writeFailure } from '../model/json-file.js';
import type { KernelEvent } from '../model/kernel-event.js';
import type { InfraProblem, RunInfo, RunKernelEvent, TestResult } from '../model/run.js';

/**
 * One line of journal.jsonl, written the moment it happens, so nothing recorded is lost. A retry
 * (`attempt` > 1) holds only that attempt and its own kernel events: replay adds it to the test.
 */
export type JournalRecord =
  | { readonly type: 'run'; readonly run: RunInfo }
  | { readonly type: 'test'; readonly test: TestResult; readonly attempt?: number }
  | { readonly type: 'events'; readonly suite: string; readonly name: string; readonly events: readonly KernelEvent[] }
  | { readonly type: 'error'; readonly error: InfraProblem }
  | { readonly type: 'outside-events'; readonly events: readonly RunKernelEvent[] }
  /** Records journaled as outside any test that are this test's after all (its process's, by pid): moved on replay. */
  | { readonly type: 'claimed'; readonly events: readonly KernelEvent[] }
  /** Events journaled with this test that are another test's after all (journaled there first): taken out on replay. */
  | { readonly type: 'moved'; readonly suite: string; readonly name: string; readonly events: readonly KernelEvent[] }
  /** The tests this session means to run, in order: a journal alone then says which never finished (notrun). */
  | { readonly type: 'plan'; readonly tests: ReadonlyArray<{ readonly suite: string; readonly name: string }> };

export class Journal {
  private readonly fd: number;
  private size: number;
  private lastSync = 0;
  private failure: Error | undefined;

  /**
   * @param onFailure told once when the journal cannot be written (disk full): the run must stop.
   * @param mirror told each record once it is written (a run in a lab job echoes them to its console).
   */
  constructor(
    readonly file: string,
    private readonly onFailure: (error: Error) => void = () => undefined,
    private readonly mirror?: (line: string, record: JournalRecord) => void,
  ) {
    this.fd = openSync(file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  /** Set when a write failed; every later append is dropped so the journal stays whole. */
  get failed(): Error | undefined {
    return this.failure;
  }

  append(record: JournalRecord): void {
    if (this.failure) return;
    // Written at once: a killed svmtest loses nothing. Synced to disk at most every 100 ms, so a
    // kernel under test that takes the machine down loses at most that much, and fast tests stay fast.
    const json = JSON.stringify(record);
    const line = Buffer.from(`${json}\n`);
    try {
      writeAll(this.fd, line);
      this.size += line.length;
      const now = Date.now();
      if (now - this.lastSync >= 100) {
        fsyncSync(this.fd);
        this.lastSync = now;
      }
    } catch (error) {
      // A half-written record is cut off again: the journal ends on its last whole line.
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // the torn tail is dropped by the next resume instead
      }
      this.failure = writeFailure(this.file, error);
      this.onFailure(this.failure);
      return;
    }
    this.mirror?.(json, record);
  }

  close(): void {
    try {
      fsyncSync(this.fd);
    } catch {
      // nothing more can be saved
    }
    closeSync(this.fd);
  }
}

export interface ReadJournal<T = JournalRecord> {
  readonly records: T[];
  /** Bytes up to the end of the last whole record: a torn tail after it is cut before appending. */
  readonly validBytes: number;
  /** Lines that held no readable record (a torn write that an older svmtest appended after). */
  readonly dropped: number;
}

const RECORD_START = '{"type":';

/** A damaged line may still end with a whole record (written after a fragment): keep that. */
function salvage<T>(line: string): T | undefined {
  for (let at = line.lastIndexOf(RECORD_START); at >= 0; at = at === 0 ? -1 : line.lastIndexOf(RECORD_START, at - 1)) {
    try {
      return JSON.parse(line.slice(at)) as T;
    } catch {
      // try an earlier start
    }
  }
  return undefined;
}

/**
 * Reads a journal back (a run's, or any JSON-lines file of `{"type": …}` records, as a bisect's):
 * a torn last line (the writer died mid-write) is left out, damaged lines are salvaged or counted.
 */
export function readJournal<T extends { readonly type: string } = JournalRecord>(file: string): ReadJournal<T> {
  if (!existsSync(file)) throw new InputError(`${file}: no journal here; expected a run directory written by svmtest run`);
  const text = readFileSync(file);
  const records: T[] = [];
  let offset = 0;
  let dropped = 0;
  while (offset < text.length) {
    const end = text.indexOf(0x0a, offset);
    if (end < 0) break; // no newline: the writer died mid-record
    const line = text.subarray(offset, end).toString('utf8');
    if (line.trim() !== '') {
      let record: T | undefined;
      try {
        record = JSON.parse(line) as T;
      } catch {
        record = salvage<T>(line);
      }
      if (record && typeof record === 'object' && 'type' in record) records.push(record);
      else dropped++;
    }
    offset = end + 1;
  }
  return { records, validBytes: offset, dropped };
}

/** Cuts a torn last record off, so the next record starts on a clean line. */
export function repairJournal(file: string, read: ReadJournal<unknown>): void {
  if (existsSync(file) && statSync(file).size > read.validBytes) truncateSync(file, read.validBytes);
}

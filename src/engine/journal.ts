import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { InputError } from '../model/errors.js';
import type { KernelEvent } from '../model/kernel-event.js';
import type { InfraProblem, RunInfo, TestResult } from '../model/run.js';

/** One line of journal.jsonl: written the moment it happens, so nothing recorded is lost. */
export type JournalRecord =
  | { readonly type: 'run'; readonly run: RunInfo }
  | { readonly type: 'test'; readonly test: TestResult }
  | { readonly type: 'events'; readonly suite: string; readonly name: string; readonly events: readonly KernelEvent[] }
  | { readonly type: 'error'; readonly error: InfraProblem };

export class Journal {
  private readonly fd: number;
  private lastSync = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a');
  }

  append(record: JournalRecord): void {
    // Written at once: a killed svmtest loses nothing. Synced to disk at most every 100 ms, so a
    // kernel under test that takes the machine down loses at most that much, and fast tests stay fast.
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    const now = Date.now();
    if (now - this.lastSync >= 100) {
      fsyncSync(this.fd);
      this.lastSync = now;
    }
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

/** Reads a journal back; a torn last line (the writer died mid-write) is ignored, anything else is an error. */
export function readJournal(file: string): JournalRecord[] {
  if (!existsSync(file)) throw new InputError(`${file}: no journal here; expected a run directory written by svmtest run`);
  const lines = readFileSync(file, 'utf8').split('\n');
  const records: JournalRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) {
        throw new InputError(`${file}:${i + 1}: not a JSON journal record`);
      }
    }
  });
  return records;
}

import { existsSync } from 'node:fs';
import { type Assembled, replayJournal } from './assemble.js';
import { readJournal, repairJournal } from './journal.js';

/**
 * What an interrupted run's journal holds, its torn last record cut off so the next one starts on
 * a clean line; undefined when there is nothing to keep (no journal, or not even its run record).
 */
export function resumeRun(journalFile: string, note: (message: string) => void): (Assembled & { readonly run: NonNullable<Assembled['run']> }) | undefined {
  if (!existsSync(journalFile)) return undefined; // killed before its first record: start it again
  const read = readJournal(journalFile);
  repairJournal(journalFile, read);
  if (read.dropped > 0) note(`${journalFile}: ${read.dropped} damaged records could not be read and are run again`);
  const earlier = replayJournal(read.records);
  return earlier.run ? { ...earlier, run: earlier.run } : undefined;
}

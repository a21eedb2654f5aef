import { appendFileSync, closeSync, existsSync, fsyncSync, openSync } from 'node:fs';
import { readJournal, repairJournal } from '../../engine/journal.js';
import type { BisectInfo, BisectRun, BisectStep, StepRole } from '../../model/bisect.js';
import { writeFailure } from '../../model/json-file.js';

/** One line of a bisect's journal.jsonl, appended the moment it happens. */
export type BisectRecord =
  | { readonly type: 'start'; readonly info: BisectInfo }
  /** A finished run of a step not yet decided: a resume does not run it again. */
  | { readonly type: 'run'; readonly role: StepRole; readonly commit: string; readonly build: BisectStep['build']; readonly run: BisectRun }
  | { readonly type: 'step'; readonly step: BisectStep };

export function appendRecord(file: string, record: BisectRecord): void {
  try {
    appendFileSync(file, `${JSON.stringify(record)}\n`);
    const fd = openSync(file, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw writeFailure(file, error);
  }
}

export interface ReplayedBisect {
  readonly info?: BisectInfo;
  readonly steps: BisectStep[];
  /** Runs of steps that were not decided when svmtest stopped, by role and commit. */
  readonly partial: Map<string, { build: BisectStep['build']; runs: BisectRun[] }>;
}

export const stepKey = (role: StepRole, commit: string) => `${role} ${commit}`;

/** The journal's records (the run journal's reader: a torn last line is cut off, so appends stay whole). */
export function replayBisect(file: string): ReplayedBisect {
  const out: ReplayedBisect = { steps: [], partial: new Map() };
  if (!existsSync(file)) return out;
  const read = readJournal<BisectRecord>(file);
  repairJournal(file, read);
  let info: BisectInfo | undefined;
  for (const record of read.records) {
    if (record.type === 'start') info = record.info;
    else if (record.type === 'step') {
      out.steps.push(record.step);
      out.partial.delete(stepKey(record.step.role, record.step.commit.commit));
    } else if (record.type === 'run') {
      const key = stepKey(record.role, record.commit);
      const partial = out.partial.get(key) ?? { build: record.build, runs: [] };
      partial.runs.push(record.run);
      out.partial.set(key, partial);
    }
  }
  return { ...out, ...(info ? { info } : {}) };
}

import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync } from 'node:fs';
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

/** The journal's records; a torn last line (svmtest killed mid-write) is cut off so appends stay whole. */
export function replayBisect(file: string): ReplayedBisect {
  const out: ReplayedBisect = { steps: [], partial: new Map() };
  if (!existsSync(file)) return out;
  const text = readFileSync(file, 'utf8');
  let info: BisectInfo | undefined;
  let valid = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      valid += line.length + 1;
      continue;
    }
    let record: BisectRecord;
    try {
      record = JSON.parse(line) as BisectRecord;
    } catch {
      break;
    }
    valid += Buffer.byteLength(line) + 1;
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
  if (valid < Buffer.byteLength(text)) truncateSync(file, Math.min(valid, Buffer.byteLength(text)));
  return { ...out, ...(info ? { info } : {}) };
}

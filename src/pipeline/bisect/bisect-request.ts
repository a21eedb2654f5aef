import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../model/errors.js';
import { readJsonFile, writeJsonAtomic } from '../../model/json-file.js';
import type { RunRequest } from '../run-request.js';

/** What `svmtest bisect` was asked: saved in its directory, so `--resume DIR` alone continues it. */
export interface BisectRequest {
  readonly config?: string;
  readonly variant?: string;
  /** SUITE/TEST ids; any of them failing makes a commit bad. */
  readonly tests: readonly string[];
  readonly good?: string;
  readonly bad?: string;
  readonly runs: number;
  /** Take good and bad from the nights of a history store. */
  readonly fromHistory?: { readonly test: string; readonly db?: string; readonly gfx?: string };
  /** Bisect a test that fails only some runs at bad anyway (every report then says how far a "good" can be trusted). */
  readonly acceptFlaky?: boolean;
  /** How each run reaches the machine and runs the suites: target, suites, timeouts, ssh. */
  readonly run: RunRequest;
}

/** The flags given: a new bisect's request once defaults are filled in, or what a resume checks. */
export type BisectGiven = Omit<BisectRequest, 'runs'> & { readonly runs?: number };

export const DEFAULT_RUNS = 3;

// What a resume may be given again; the rest of a bisect is what it is.
const DECIDING: ReadonlyArray<keyof BisectRequest> = ['variant', 'tests', 'good', 'bad', 'runs', 'fromHistory', 'acceptFlaky'];

export function saveBisectRequest(file: string, request: BisectRequest): void {
  writeJsonAtomic(file, { schemaVersion: 1, request: { ...request, ...(request.config ? { config: resolve(request.config) } : {}) } });
}

export function loadBisectRequest(file: string, dir: string): BisectRequest {
  if (!existsSync(file)) throw new InputError(`--resume ${dir}: no request.json; expected a directory written by svmtest bisect`);
  const { data } = readJsonFile(file, 'request.json');
  const request = (data as { request?: BisectRequest }).request;
  if (typeof request !== 'object' || request === null || !Array.isArray(request.tests) || typeof request.runs !== 'number')
    throw new InputError(`${file}: expected {"request": {"tests": [...], "runs": N, ...}} written by svmtest bisect`);
  return request;
}

/** The saved request; a flag given again must say the same, or the journal would mix two bisects. */
export function resumeBisectRequest(saved: BisectRequest, given: BisectGiven, dir: string): BisectRequest {
  for (const key of DECIDING) {
    const now = given[key];
    if (now === undefined || (Array.isArray(now) && now.length === 0)) continue;
    if (JSON.stringify(now) !== JSON.stringify(saved[key]))
      throw new InputError(
        `--resume ${dir}: --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${JSON.stringify(now)} contradicts the bisect being resumed (${JSON.stringify(saved[key]) ?? 'not given'})`,
      );
  }
  return saved;
}

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../model/errors.js';
import { readJsonFile, writeJsonAtomic } from '../model/json-file.js';
import type { Shard } from '../model/run.js';

export type KernelEventPolicy = 'fail' | 'warn' | 'ignore';

/**
 * What `svmtest run` was asked to do, as typed values: flags given by the user, nothing filled
 * in. Saved in the run directory, so `--resume DIR` alone continues the same run.
 */
export interface RunRequest {
  readonly config?: string;
  readonly variant?: string;
  readonly target?: string;
  readonly suites?: readonly string[];
  readonly suiteFiles?: readonly string[];
  readonly profile?: string;
  readonly filters?: readonly string[];
  readonly shard?: Shard;
  readonly durations?: string;
  readonly rocm?: string;
  readonly sysfsRoot?: string;
  readonly kernel?: string;
  readonly modules?: string;
  readonly accel?: 'auto' | 'kvm' | 'tcg';
  /** ssh: [USER@]HOST[:PORT] of the DUT. */
  readonly ssh?: string;
  readonly sshIdentity?: string;
  /** ssh: extra ssh_config options, KEY=VALUE. */
  readonly sshOptions?: readonly string[];
  readonly sshNoHostKeyCheck?: boolean;
  readonly guestWatchdog?: number;
  readonly maxReboots?: number;
  readonly retries?: number;
  readonly testTimeout?: number;
  readonly runTimeout?: number;
  readonly jobs?: number;
  readonly isolate?: boolean;
  readonly kernelEvents?: KernelEventPolicy;
  readonly expectations?: string;
  /** A requested suite whose selection is empty is run anyway (a warning in every report), not refused. */
  readonly allowEmpty?: boolean;
}

type Key = keyof RunRequest;

// File paths are saved absolute: a resume may start from another directory.
const PATHS: readonly Key[] = ['config', 'durations', 'rocm', 'sysfsRoot', 'kernel', 'modules', 'expectations', 'sshIdentity'];
// How long to wait, and how often to reboot a guest, may change when continuing; what is run may not.
const MAY_CHANGE_ON_RESUME: ReadonlySet<Key> = new Set(['runTimeout', 'guestWatchdog', 'maxReboots', 'sshIdentity', 'sshOptions']);

const FLAG: Partial<Record<Key, string>> = {
  suites: '--suite',
  suiteFiles: '--suite-file',
  filters: '--filter',
  testTimeout: '--timeout',
  config: '--config',
  sshOptions: '--ssh-option',
};

function flagOf(key: Key): string {
  return FLAG[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function isGiven(value: unknown): boolean {
  return value !== undefined && !(Array.isArray(value) && value.length === 0);
}

/** Only the flags that were given, file paths made absolute. */
export function normalizeRequest(request: RunRequest): RunRequest {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request) as Array<[Key, unknown]>) {
    if (!isGiven(value)) continue;
    if (key === 'suiteFiles') out[key] = (value as string[]).map((f) => resolve(f));
    else out[key] = PATHS.includes(key) ? resolve(value as string) : value;
  }
  return out as RunRequest;
}

export function saveRequest(file: string, request: RunRequest): void {
  writeJsonAtomic(file, { schemaVersion: 1, request: normalizeRequest(request) });
}

export function loadRequest(file: string): RunRequest | undefined {
  if (!existsSync(file)) return undefined;
  const { data } = readJsonFile(file, 'request.json');
  const request = (data as { request?: unknown }).request;
  if (typeof request !== 'object' || request === null) throw new InputError(`${file}: expected {"request": {...}} written by svmtest run`);
  return request as RunRequest;
}

/**
 * The saved request, with the flags given now: a flag that repeats the saved value is fine, one
 * that would change what the run runs is refused (the journal would mix two runs).
 */
export function resumeRequest(saved: RunRequest, given: RunRequest, dir: string): RunRequest {
  const now = normalizeRequest(given);
  for (const [key, value] of Object.entries(now) as Array<[Key, unknown]>) {
    if (MAY_CHANGE_ON_RESUME.has(key)) continue;
    const before = saved[key];
    if (JSON.stringify(before) !== JSON.stringify(value)) {
      const was = before === undefined ? 'not given' : JSON.stringify(before);
      throw new InputError(
        `--resume ${dir}: ${flagOf(key)} ${JSON.stringify(value)} contradicts the run being resumed (${was}); resume with the same options, or start a new run with another --out`,
      );
    }
  }
  return { ...saved, ...now };
}

import type { TestOrder } from '../model/order.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../model/errors.js';
import { readJsonFile, writeJsonAtomic } from '../model/json-file.js';
import type { Shard } from '../model/run.js';
import type { TargetFlagValues } from '../targets/plugin.js';
import { targetFlags } from '../targets/registry.js';

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
  /** The target's own flags that were given (--accel, --ssh, …), by their TargetFlag keys. */
  readonly targetFlags?: TargetFlagValues;
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
  /** Runs of each passing test in all (`--repeat`): rounds 2… time them again, for performance verdicts. */
  readonly repeat?: number;
  /** `--order history`: the tests most likely to fail first, from the history store (`--history`, else the configured one). */
  readonly order?: TestOrder;
  readonly orderStore?: string;
  /**
   * With --shard: the night whose earlier nights the store is read up to, fixed when the run starts,
   * so a shard resumed after midnight plans the same tests as before (not the other shards' new imports).
   */
  readonly orderNight?: string;
  /** `--fail-fast N --baseline-run DIR`: stop after N regressions against that run. */
  readonly failFast?: number;
  readonly baselineRun?: string;
}

type Key = keyof RunRequest;

// File paths are saved absolute: a resume may start from another directory.
const PATHS: readonly Key[] = ['config', 'durations', 'rocm', 'sysfsRoot', 'kernel', 'modules', 'expectations', 'baselineRun'];
// How long to wait, and how often to reboot a guest, may change when continuing; what is run may not.
const MAY_CHANGE_ON_RESUME: ReadonlySet<Key> = new Set(['runTimeout', 'guestWatchdog', 'maxReboots']);

const FLAG: Partial<Record<Key, string>> = {
  suites: '--suite',
  suiteFiles: '--suite-file',
  filters: '--filter',
  testTimeout: '--timeout',
  config: '--config',
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
    if (!isGiven(value) || (key === 'targetFlags' && Object.keys(value as object).length === 0)) continue;
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
  return withTargetFlags(request as RunRequest & LegacyTargetFlags);
}

/** request.json of svmtest before targets declared their own flags: those keys, moved where they are now. */
interface LegacyTargetFlags {
  readonly accel?: string;
  readonly ssh?: string;
  readonly sshIdentity?: string;
  readonly sshOptions?: readonly string[];
  readonly sshNoHostKeyCheck?: boolean;
}

function withTargetFlags(saved: RunRequest & LegacyTargetFlags): RunRequest {
  const { accel, ssh, sshIdentity, sshOptions, sshNoHostKeyCheck, ...request } = saved;
  const legacy = {
    ...(accel ? { accel } : {}),
    ...(ssh ? { ssh } : {}),
    ...(sshIdentity ? { sshIdentity } : {}),
    ...(sshOptions?.length ? { sshOption: sshOptions } : {}),
    ...(sshNoHostKeyCheck ? { sshHostKeyCheck: false } : {}),
  };
  return Object.keys(legacy).length > 0 ? { ...request, targetFlags: { ...legacy, ...request.targetFlags } } : request;
}

/**
 * The saved request, with the flags given now: a flag that repeats the saved value is fine, one
 * that would change what the run runs is refused (the journal would mix two runs).
 */
export function resumeRequest(saved: RunRequest, given: RunRequest, dir: string): RunRequest {
  const now = normalizeRequest(given);
  const targetFlags = resumeTargetFlags(saved.targetFlags ?? {}, now.targetFlags ?? {}, dir);
  for (const [key, value] of Object.entries(now) as Array<[Key, unknown]>) {
    if (MAY_CHANGE_ON_RESUME.has(key) || key === 'targetFlags') continue;
    const before = saved[key];
    if (JSON.stringify(before) !== JSON.stringify(value)) {
      const was = before === undefined ? 'not given' : JSON.stringify(before);
      throw new InputError(
        `--resume ${dir}: ${flagOf(key)} ${JSON.stringify(value)} contradicts the run being resumed (${was}); resume with the same options, or start a new run with another --out`,
      );
    }
  }
  return { ...saved, ...now, ...(Object.keys(targetFlags).length > 0 ? { targetFlags } : {}) };
}

/** The target's flags: those its plug-in lets change (how to reach the machine) may; the others may not. */
function resumeTargetFlags(saved: TargetFlagValues, given: TargetFlagValues, dir: string): TargetFlagValues {
  for (const flag of targetFlags()) {
    const value = given[flag.key];
    if (value === undefined || flag.mayChangeOnResume) continue;
    if (JSON.stringify(saved[flag.key]) !== JSON.stringify(value)) {
      const was = saved[flag.key] === undefined ? 'not given' : JSON.stringify(saved[flag.key]);
      throw new InputError(
        `--resume ${dir}: ${flag.flags.split(' ')[0]} ${JSON.stringify(value)} contradicts the run being resumed (${was}); resume with the same options, or start a new run with another --out`,
      );
    }
  }
  return { ...saved, ...given };
}

// What the engine inside a lab job is asked: what to run and how, never how to reach a machine.
const IN_JOB: readonly Key[] = [
  'config',
  'variant',
  'suites',
  'suiteFiles',
  'profile',
  'filters',
  'shard',
  'durations',
  'rocm',
  'retries',
  'testTimeout',
  'runTimeout',
  'jobs',
  'isolate',
  'kernelEvents',
  'allowEmpty',
];

/** The request of the engine that runs inside a lab job (on that job's own machine: target host), as one shard. */
export function inJobRequest(request: RunRequest, shard: Shard | undefined): RunRequest {
  const picked = Object.fromEntries(IN_JOB.filter((key) => isGiven(request[key])).map((key) => [key, request[key]]));
  return normalizeRequest({ ...picked, ...(shard ? { shard } : {}), target: 'host' } as RunRequest);
}

/** `svmtest run` flags that make the same request (the inverse of reading the flags). */
export function runFlagsOf(request: RunRequest): string[] {
  const flags: string[] = [];
  for (const [key, value] of Object.entries(request) as Array<[Key, unknown]>) {
    if (key === 'target' || key === 'targetFlags' || !isGiven(value)) continue;
    const flag = key === 'suites' ? '--suite' : key === 'suiteFiles' ? '--suite-file' : key === 'filters' ? '--filter' : flagOf(key);
    if (Array.isArray(value)) for (const item of value) flags.push(flag, String(item));
    else if (value === true) flags.push(flag);
    else if (key === 'shard') flags.push(flag, `${(value as Shard).index}/${(value as Shard).total}`);
    else flags.push(flag, String(value));
  }
  return flags;
}

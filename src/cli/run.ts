import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { join, resolve } from 'node:path';
import { replayJournal } from '../engine/assemble.js';
import { runEngine } from '../engine/engine.js';
import { readJournal } from '../engine/journal.js';
import { planSuites, type PlannedSuite } from '../engine/plan.js';
import { readKernelConfig, REPORTED_KCONFIG, runPreflight } from '../engine/preflight.js';
import { expectedFailure, matchFlake } from '../compare/expectations.js';
import { InfraError, InputError } from '../model/errors.js';
import { RUN_SCHEMA_VERSION, type PreflightCheck, type RunFile, type RunInfo } from '../model/run.js';
import { writeRun } from '../model/run-file.js';
import { isFailing } from '../model/status.js';
import { toolVersion } from '../model/version.js';
import { loadExpectations } from './compare.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { renderReports, timestampDir } from './reporting.js';
import { note } from './screen.js';
import { openSession, type Session, type TargetOptions } from './session.js';

export interface RunCommandOptions extends TargetOptions {
  out?: string;
  resume?: string;
  retries?: string;
  timeout?: string;
  runTimeout?: string;
  jobs?: string;
  isolate?: boolean;
  kernelEvents?: string;
  expectations?: string;
  reporter: string;
  /** Told how long booting/deploying and running took (svmtest ci prints it per stage). */
  onTiming?: (stage: 'boot' | 'run', ms: number) => void;
}

function positiveNumber(flag: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new InputError(`${flag} "${value}": expected a ${integer ? 'whole ' : ''}number ≥ 0`);
  return n;
}

async function environmentOf(session: Session): Promise<{ info: Omit<RunInfo, 'id' | 'startedAt' | 'status' | 'toolVersion' | 'variant' | 'target'>; checks: PreflightCheck[] }> {
  const { target } = session;
  const identity = await target.identity();
  const [config, rocmText] = await Promise.all([
    readKernelConfig(target, identity.kernelRelease, session.buildConfig),
    target.readFile(`${session.context.rocm}/.info/version`),
  ]);
  const kernelConfig = config ? Object.fromEntries(REPORTED_KCONFIG.map((o) => [`CONFIG_${o}`, config.values.get(o) ?? 'n'])) : undefined;
  const rocmVersion = rocmText?.trim();
  const checks = await runPreflight({ target, identity, variantName: session.variantName, variant: session.variant, gpus: session.gpus, config });
  return {
    info: {
      environment: {
        kernelRelease: identity.kernelRelease,
        kernelVersion: identity.kernelVersion,
        ...(kernelConfig ? { kernelConfig } : {}),
        gpus: session.gpus,
        ...(rocmVersion ? { rocmVersion } : {}),
        hostname: identity.hostname,
      },
    },
    checks,
  };
}

/** `svmtest run`: preflight, plan, execute, write run.json; exit codes of design.md. */
export async function runCommand(options: RunCommandOptions): Promise<ExitCode> {
  const retries = positiveNumber('--retries', options.retries, true);
  const testTimeout = positiveNumber('--timeout', options.timeout);
  const runTimeout = positiveNumber('--run-timeout', options.runTimeout);
  const jobs = positiveNumber('--jobs', options.jobs, true);
  const policy = options.kernelEvents ?? undefined;
  if (policy !== undefined && !['fail', 'warn', 'ignore'].includes(policy)) throw new InputError(`--kernel-events "${policy}": expected fail, warn or ignore`);

  const t0 = performance.now();
  const trace = (label: string) => {
    if (process.env.SVMTEST_TRACE) note(`trace: ${label} at ${Math.round(performance.now() - t0)} ms`);
  };
  const now = new Date();
  const variantName = options.variant ?? 'default';
  let runDir: string;
  let earlier: ReturnType<typeof replayJournal> | undefined;
  if (options.resume) {
    runDir = resolve(options.resume);
    earlier = replayJournal(readJournal(join(runDir, 'journal.jsonl')));
    if (!earlier.run) throw new InputError(`${runDir}/journal.jsonl: has no run record; expected a journal written by svmtest run`);
    if (earlier.run.variant !== variantName) {
      throw new InputError(`--resume ${runDir}: that run is of variant ${earlier.run.variant}, not ${variantName}`);
    }
    note(`resuming run ${earlier.run.id}: ${earlier.tests.size} tests already finished`);
  } else {
    runDir = resolve(options.out ?? timestampDir(loadConfig(options.config).config.run.out, variantName, now));
    if (existsSync(join(runDir, 'journal.jsonl'))) throw new InputError(`--out ${runDir}: already holds a run; use --resume ${runDir} to continue it, or another --out`);
  }
  mkdirSync(runDir, { recursive: true });
  const bootStarted = performance.now();
  const session = await openSession(options, runDir);
  options.onTiming?.('boot', performance.now() - bootStarted);
  trace('session');
  try {
    const runStarted = performance.now();
    const code = await runSession(session, runDir, earlier, options, { retries, testTimeout, runTimeout, jobs, policy }, now, trace);
    options.onTiming?.('run', performance.now() - runStarted);
    return code;
  } finally {
    await session.target.close();
  }
}

interface Numbers {
  retries: number | undefined;
  testTimeout: number | undefined;
  runTimeout: number | undefined;
  jobs: number | undefined;
  policy: string | undefined;
}

async function runSession(
  session: Session,
  runDir: string,
  earlier: ReturnType<typeof replayJournal> | undefined,
  options: RunCommandOptions,
  { retries, testTimeout, runTimeout, jobs, policy }: Numbers,
  now: Date,
  trace: (label: string) => void,
): Promise<ExitCode> {
  const { target, config } = session;

  const { info: env, checks } = await environmentOf(session);
  trace('environment and preflight');
  let plan: PlannedSuite[] = [];
  try {
    plan = await planSuites(target, session.suites, session.context, session.gpus, session.selection);
    checks.push({ name: 'suites', ok: true, expected: 'suite binaries found', found: plan.map((p) => `${p.suite.definition.name}: ${p.suite.dir ?? p.suite.command[0]}`).join(', ') });
  } catch (error) {
    if (!(error instanceof InfraError)) throw error;
    checks.push({ name: 'suites', ok: false, expected: 'suite binaries found and listable', found: error.message });
  }

  trace('plan');
  const info: RunInfo = {
    id: earlier?.run?.id ?? randomUUID(),
    variant: session.variantName,
    target: target.kind,
    startedAt: earlier?.run?.startedAt ?? now.toISOString(),
    status: 'incomplete',
    ...(session.selection.shard ? { shard: session.selection.shard } : {}),
    selection: {
      suites: session.suites.map((s) => s.name),
      ...(session.selection.filters.length > 0 ? { filters: [...session.selection.filters] } : {}),
      ...(session.selection.profile ? { profile: session.selection.profile } : {}),
    },
    ...env,
    toolVersion: toolVersion(),
    preflight: checks,
  };

  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    const run: RunFile = {
      schemaVersion: RUN_SCHEMA_VERSION,
      run: { ...info, finishedAt: new Date().toISOString() },
      tests: [],
      errors: failed.map((c) => ({ stage: 'preflight', message: `${c.name}: expected ${c.expected}, found ${c.found}` })),
    };
    writeRun(join(runDir, 'run.json'), run);
    for (const c of failed) note(`preflight failed — ${c.name}: expected ${c.expected}, found ${c.found}`);
    note(`run.json written to ${runDir} (no tests ran)`);
    return EXIT.infra;
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      note('interrupted: stopping the running test and writing run.json (Ctrl-C again to quit at once)');
      controller.abort();
    } else process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const tty = process.stderr.isTTY === true && !process.env.CI;
  const { plainProgress } = await import('./progress.js');
  // listr2 only in a terminal: CI logs get plain lines, no spinners.
  const terminal = tty ? (await import('./progress-listr.js')).terminalProgress() : undefined;
  const progress = terminal?.sink ?? plainProgress((line) => process.stderr.write(`${line}\n`));
  let run: RunFile;
  try {
    run = await runEngine({
      target,
      runDir,
      info,
      plan,
      gpus: session.gpus,
      jobs: jobs ?? config.run.jobs,
      retries: retries ?? config.run.retries,
      isolate: options.isolate ?? false,
      ...(testTimeout !== undefined ? { testTimeout } : {}),
      ...(runTimeout !== undefined ? { runTimeout } : {}),
      kernelEvents: (policy as 'fail' | 'warn' | 'ignore' | undefined) ?? config.run.kernelEvents,
      graceMs: config.run.killGrace * 1000,
      logCap: config.run.logCap,
      finished: earlier?.tests ?? new Map(),
      earlierErrors: earlier?.errors ?? [],
      progress,
      signal: controller.signal,
      now: () => new Date(),
    });
  } finally {
    await terminal?.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  trace('engine');
  writeRun(join(runDir, 'run.json'), run);
  trace('run.json written');
  await renderReports({ kind: 'run', run }, options.reporter, runDir);
  trace('reports');
  note(`run.json and logs in ${runDir}`);
  if (run.run.status === 'interrupted') {
    note(`resume with: svmtest run --resume ${runDir} (and the same options)`);
    return EXIT.interrupted;
  }
  if (run.run.status !== 'complete' || run.errors.length > 0) return EXIT.infra;
  const expectations = loadExpectations(options.expectations, run);
  const unexpected = run.tests.filter((t) => isFailing(t.status) && !(expectedFailure(expectations, t)?.status === t.status) && !matchFlake(expectations, t));
  return unexpected.length > 0 ? EXIT.unexpected : EXIT.ok;
}

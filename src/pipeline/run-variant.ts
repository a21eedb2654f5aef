import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { assembleFromJournal, assembleRun, preflightFailedRun, type Assembled } from '../engine/assemble.js';
import { runEngine } from '../engine/engine.js';
import { startKernelWatch } from '../engine/kernel-watch.js';
import { resumeRun } from '../engine/resume.js';
import type { JournalRecord } from '../engine/journal.js';
import { RecordEcho } from '../engine/record-echo.js';
import { planSuites, type PlannedSuite } from '../engine/plan.js';
import type { ProgressSink } from '../model/progress.js';
import { InfraError, InputError, SvmtestError } from '../model/errors.js';
import type { PreflightCheck, RunFile, RunInfo } from '../model/run.js';
import { writeRun } from '../model/run-file-write.js';
import { trace } from '../model/trace.js';
import { toolVersion } from '../model/version.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { targetPlugin } from '../targets/registry.js';
import { discoverGpus } from '../targets/topology.js';
import { environmentOf } from './environment.js';
import { prepareRun, type PreparedRun } from './prepare-run.js';
import { runDirAt, timestampDir, type RunDir } from './run-dir.js';
import { acquireRunLock } from './run-lock.js';
import { loadRequest, resumeRequest, saveRequest, type RunRequest } from './run-request.js';
import { Teardowns } from './teardown.js';
import type { KeptMachines } from './kept-machines.js';
import type { RepeatRules } from './repeat-rounds.js';

export interface RunVariantOptions {
  /** The flags given; on --resume, the rest comes from the run directory. */
  readonly request: RunRequest;
  /** The config already loaded by the caller (ci), so a command loads it once. */
  readonly loaded?: LoadedConfig;
  readonly out?: string;
  readonly resume?: string;
  readonly progress: ProgressSink;
  readonly note: (message: string) => void;
  /** Aborted on Ctrl-C: the run stops, writes run.json as interrupted, and can be resumed. */
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** Told how long booting/deploying and running took (ci prints it per stage). */
  readonly onTiming?: (stage: 'boot' | 'run', ms: number) => void;
  /** Runs follow one another on the machine (a bisect): the target leaves it as it is (TargetFactory.release puts it back). */
  readonly keepMachine?: boolean;
  /** Where what a command prints for people goes (a dry run's job definitions); default standard output. */
  readonly print?: (text: string) => void;
  /** Inside a lab job: echo every record to the console under this nonce (model/record-echo.ts). */
  readonly echoNonce?: string;
  /** The machine of the last run, kept for the next when it is the same variant's (`--repeat` rounds; KeptMachines). */
  readonly machines?: KeptMachines;
  /** The directory the machine shares, when not the run's own: a round's is its variant's run directory, which holds every round. */
  readonly machineDir?: string;
}

export interface VariantRun {
  readonly run: RunFile;
  readonly dir: RunDir;
  /** The request the run was made with (on resume: the saved one with the flags given now). */
  readonly request: RunRequest;
  /** Per suite, its timing-sensitive tests (`repeat:`): what `--repeat` rounds time without the flag. */
  readonly repeatRules: RepeatRules;
}

interface Start {
  readonly dir: RunDir;
  readonly request: RunRequest;
  readonly loaded: LoadedConfig;
  readonly earlier?: Assembled;
}

/** A sharded --order history run reads the store's nights before the one it started in, resumed or not. */
function fixOrderNight(request: RunRequest, now: Date): RunRequest {
  if (!request.shard || request.order !== 'history' || request.orderNight) return request;
  return { ...request, orderNight: now.toISOString().slice(0, 10) };
}

/** A fresh run directory, or the one to resume with its saved request and journal; the config loaded once. */
function start(options: RunVariantOptions, teardowns: Teardowns): Start {
  const resuming = options.resume !== undefined;
  const fresh = resuming ? undefined : (options.loaded ?? loadConfig(options.request.config));
  const dir = runDirAt(options.resume ?? options.out ?? timestampDir(fresh!.config.run.out, options.request.variant ?? 'default', options.now()));
  if (resuming && !existsSync(dir.root)) throw new InputError(`--resume ${dir.root}: no such run directory`);
  mkdirSync(dir.root, { recursive: true });
  teardowns.add('run-directory lock', acquireRunLock(dir.lock, dir.root));
  if (!resuming) {
    if (existsSync(dir.journal) || existsSync(join(dir.root, 'jobs')))
      throw new InputError(`--out ${dir.root}: already holds a run; use --resume ${dir.root} to continue it, or another --out`);
    const request = fixOrderNight(options.request, options.now());
    saveRequest(dir.request, request);
    return { dir, request, loaded: fresh! };
  }
  const saved = loadRequest(dir.request);
  if (!saved) throw new InputError(`--resume ${dir.root}: no request.json; expected a run directory written by svmtest run`);
  const request = resumeRequest(saved, options.request, dir.root);
  const loaded = loadConfig(request.config);
  // A journal without its run record (torn at once) holds nothing to keep: the run starts over.
  const earlier = resumeRun(dir.journal, options.note);
  return earlier ? { dir, request, loaded, earlier } : { dir, request, loaded };
}

function runInfo(prepared: PreparedRun, targetKind: RunInfo['target'], earlier: Assembled | undefined, now: Date): Omit<RunInfo, 'environment' | 'preflight'> {
  return {
    id: earlier?.run?.id ?? randomUUID(),
    variant: prepared.variantName,
    target: targetKind,
    startedAt: earlier?.run?.startedAt ?? now.toISOString(),
    status: 'incomplete',
    ...(prepared.selection.shard ? { shard: prepared.selection.shard } : {}),
    selection: {
      suites: prepared.suites.map((s) => s.name),
      ...(prepared.selection.filters.length > 0 ? { filters: [...prepared.selection.filters] } : {}),
      ...(prepared.selection.profile ? { profile: prepared.selection.profile } : {}),
    },
    toolVersion: toolVersion(),
  };
}

/**
 * The run.json of a machine that never came up for this session (a boot that failed, a lab that
 * refused the job): incomplete, the reason in errors[], and whatever an earlier session finished kept.
 */
function unreachedRun(prepared: PreparedRun, earlier: Assembled | undefined, stage: string, error: InfraError, now: Date): RunFile {
  const base = runInfo(prepared, prepared.targetName, earlier, now);
  const info: RunInfo = {
    ...base,
    environment: earlier?.run?.environment ?? { gpus: [] },
    ...(earlier?.run?.preflight ? { preflight: earlier.run.preflight } : {}),
  };
  const problem = { stage, message: error.message };
  if (!earlier?.run) return assembleRun(info, [], [problem], 'incomplete', now, prepared.kernelEvents);
  const kept = { ...earlier, run: info, errors: earlier.errors.filter((e) => e.stage !== 'boot' && e.stage !== 'run') };
  return assembleFromJournal(kept, 'incomplete', now, prepared.kernelEvents, `not run: ${error.message}`, [problem]);
}

/**
 * Runs one variant on its target and saves the run: the run directory, its lock, resume,
 * preflight, the plan, the engine, run.json — and every resource released on every exit path.
 */
export async function runVariant(options: RunVariantOptions): Promise<VariantRun> {
  const teardowns = new Teardowns();
  let echo: RecordEcho | undefined;
  try {
    trace('runVariant');
    const { dir, request, loaded, earlier } = start(options, teardowns);
    trace('run directory, lock, request');
    echo = options.echoNonce ? new RecordEcho(options.echoNonce, dir.root) : undefined;
    echo?.start(toolVersion());
    if (earlier) options.note(`resuming run ${earlier.run!.id}: ${earlier.tests.size} tests already finished`);
    const prepared = await prepareRun(request, loaded, dir, options.note, options.keepMachine, options.machineDir);
    const repeatRules: RepeatRules = new Map(prepared.suites.map((s) => [s.name, s.repeat]));
    trace('prepared');
    const bootStarted = performance.now();
    // A machine that does not come up still leaves its run.json: a nightly's dashboard shows why.
    // (An earlier session's run.json is replaced only when the journal holds what it did.)
    const unreached = (stage: string) => (error: unknown) => {
      if (error instanceof InfraError && (earlier?.run || !existsSync(dir.runFile)))
        writeRun(dir.runFile, unreachedRun(prepared, earlier, stage, error, options.now()));
      throw error;
    };
    const kept = await options.machines?.take(prepared.variantName, dir.root, options.note);
    if (kept) options.note(`${prepared.variantName}: on the machine its last run used`);
    const opening = kept ?? (await prepared.open().catch(unreached('boot')));
    if ('remote' in opening) {
      // The machine runs svmtest's engine itself (a lab job): the run is handed over whole.
      // A lab's code (its client, its job's bundle) is loaded only by the runs that go there.
      const { runRemote } = await import('./run-remote.js');
      const run = await runRemote({
        remote: opening.remote,
        prepared,
        request,
        dir,
        ...(opening.kernelManifest ? { kernelManifest: opening.kernelManifest } : {}),
        warnings: opening.warnings ?? [],
        progress: options.progress,
        note: options.note,
        print: options.print ?? ((text) => void process.stdout.write(text)),
        signal: options.signal,
        now: options.now,
      }).catch(unreached('lab job'));
      return { run, dir, request, repeatRules };
    }
    const opened = opening;
    const { target } = opened;
    if (!kept && options.machines && targetPlugin(prepared.targetName).reusableAcrossRuns)
      options.machines.hold(prepared.variantName, opened, options.machineDir ?? dir.root);
    if (!options.machines?.holds(opened)) teardowns.add('target', () => target.close());
    options.onTiming?.('boot', performance.now() - bootStarted);

    trace('target open');
    // The kernel log is followed from here: its first mark is a round trip on a guest, made while
    // the tests are listed (and a listing's own kernel records are the run's).
    const kernelWatch = startKernelWatch(target);
    teardowns.add('kernel log', async () => {
      await kernelWatch.started;
      await kernelWatch.watch.stop();
    });
    // The suites are listed while the environment is read and checked: on a slow machine both are
    // round trips, and neither needs the other (a listing waits for the GPUs only where its paths name their family).
    const gpusAsked = discoverGpus(target);
    const [{ environment, checks }, listed] = await Promise.all([
      environmentOf(target, prepared.rocm, prepared.variant, opened, gpusAsked),
      planSuites(target, prepared.suites, prepared.suiteContext, gpusAsked, prepared.selection).then(
        (planned) => ({ planned }),
        (error: unknown) => {
          if (!(error instanceof InfraError)) throw error;
          return { unlisted: error.message };
        },
      ),
    ]);
    const { gpus } = environment;
    let plan: PlannedSuite[] = [];
    if ('planned' in listed) {
      plan = listed.planned;
      checks.push({
        name: 'suites',
        ok: true,
        expected: 'suite binaries found',
        found: plan.map((p) => `${p.suite.definition.name}: ${p.suite.dir ?? p.suite.command[0]}`).join(', '),
      });
    } else checks.push({ name: 'suites', ok: false, expected: 'suite binaries found and listable', found: listed.unlisted });
    trace('plan');
    const empty = plan.flatMap((p) => (p.empty ? [p.empty] : []));
    // A run that silently tests nothing of a requested suite would report green for the wrong reason.
    if (empty.length > 0 && !request.allowEmpty) {
      throw new InputError(`${empty.join('; ')}: a requested suite that selects no test fails the run; choose another --profile, or pass --allow-empty`);
    }
    const notes = plan.flatMap((p) => p.notes);
    for (const n of notes) options.note(n);
    const base = runInfo(prepared, target.kind, earlier, options.now());
    // A suite whose results its own tests could forge weakens the run's proof: every report says so.
    const warnings = [...(opened.warnings ?? []), ...plan.flatMap((p) => (p.resultNote ? [p.resultNote] : [])), ...empty.map((e) => `--allow-empty: ${e}`)];
    for (const w of warnings) options.note(`WARNING: ${w}`);
    // The userspace build is part of the proof only when a suite actually ran from it.
    const view = prepared.userspace?.view;
    const fromBuild = view !== undefined && plan.some((p) => [p.suite.dir, ...p.suite.command].some((path) => path?.startsWith(`${view}/`)));
    const info: RunInfo = {
      ...base,
      selection: { ...base.selection, ...(notes.length > 0 ? { notes } : {}) },
      environment: fromBuild ? { ...environment, userspace: { digest: prepared.userspace!.digest, components: prepared.userspace!.components } } : environment,
      preflight: checks,
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(plan.length > 0 ? { resultSources: Object.fromEntries(plan.map((p) => [p.suite.definition.name, p.resultSource])) } : {}),
    };
    const failed = checks.filter((c: PreflightCheck) => !c.ok);
    if (failed.length > 0) {
      const run = preflightFailedRun(info, failed, options.now());
      writeRun(dir.runFile, run);
      echo?.finish(run, dir.journal);
      return { run, dir, request, repeatRules };
    }

    const runStarted = performance.now();
    const { run, storageFailure } = await runEngine({
      target,
      kernelWatch,
      paths: { runDir: dir.root, journal: dir.journal, scratch: dir.scratch },
      info,
      plan,
      gpus,
      jobs: prepared.jobs,
      retries: prepared.retries,
      isolate: prepared.isolate,
      ...(prepared.testTimeout !== undefined ? { testTimeout: prepared.testTimeout } : {}),
      ...(prepared.runTimeout !== undefined ? { runTimeout: prepared.runTimeout } : {}),
      kernelEvents: prepared.kernelEvents,
      ...(prepared.failFast ? { failFast: prepared.failFast } : {}),
      graceMs: prepared.config.run.killGrace * 1000,
      logCap: prepared.config.run.logCap,
      finished: earlier?.tests ?? new Map(),
      // Why an earlier session stopped early (a lost machine, the run timeout) is history once resumed:
      // if this session stops early too, it says so itself.
      earlierErrors: (earlier?.errors ?? []).filter((e) => e.stage !== 'boot' && e.stage !== 'run'),
      ...(earlier ? { earlierOutside: earlier.outside } : {}),
      resumed: earlier !== undefined,
      progress: options.progress,
      signal: options.signal,
      now: options.now,
      ...(echo ? { mirror: (line: string, record: JournalRecord) => echo?.record(line, record) } : {}),
    });
    options.onTiming?.('run', performance.now() - runStarted);
    trace('engine done');
    writeRun(dir.runFile, run);
    echo?.finish(run, dir.journal);
    trace('run.json written');
    if (storageFailure) throw storageFailure;
    return { run, dir, request, repeatRules };
  } catch (error) {
    // Inside a lab job, the submitting svmtest learns why this one stopped, in so many words.
    echo?.fail(error instanceof SvmtestError ? error.kind : 'internal', error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    await teardowns.runAll(options.note);
  }
}

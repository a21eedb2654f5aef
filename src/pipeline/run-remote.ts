import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RemoteRecorder } from '../engine/remote-recorder.js';
import { DoneEarly, InfraError, InputError } from '../model/errors.js';
import type { ProgressSink } from '../model/progress.js';
import { readRun } from '../model/run-file.js';
import { writeRun } from '../model/run-file-write.js';
import type { LabJob, RunFile, RunInfo, Shard } from '../model/run.js';
import { toolVersion } from '../model/version.js';
import { mergeRuns } from '../results/merge-runs.js';
import type { SuiteDefinition } from '../suites/definition.js';
import type { RemoteJobEnd, RemoteRun } from '../targets/plugin.js';
import { kernelBuildOf } from './environment.js';
import type { PreparedRun } from './prepare-run.js';
import type { RunDir } from './run-dir.js';
import { inJobRequest, runFlagsOf, type RunRequest } from './run-request.js';

export interface RemoteRunOptions {
  readonly remote: RemoteRun;
  readonly prepared: PreparedRun;
  readonly request: RunRequest;
  readonly dir: RunDir;
  /** The manifest of `svmtest build` beside the kernel the jobs boot: the run's kernel provenance. */
  readonly kernelManifest?: string;
  readonly warnings: readonly string[];
  readonly progress: ProgressSink;
  readonly note: (message: string) => void;
  readonly print: (text: string) => void;
  readonly signal: AbortSignal;
  readonly now: () => Date;
}

/** The host files a run needs where it runs: the config, the suite files, their programs and build directories (placeholders cut). */
export function suitePayload(suites: readonly SuiteDefinition[], configFile: string, durations?: string): string[] {
  const cut = (p: string) => (p.includes('{') ? dirname(`${p.split('{')[0]!}x`) : p);
  // A bare program name is found on the PATH of the machine there: nothing to pack.
  const programs = suites.flatMap((s) => [...(s.command ?? []).slice(0, 1), ...(s.binary ?? [])]).filter((p) => p.includes('/'));
  const dirs = suites.flatMap((s) => (typeof s.dir === 'string' ? [s.dir] : (s.dir ?? [])));
  const paths = [configFile, ...(durations ? [durations] : []), ...suites.map((s) => s.file), ...programs, ...dirs].map((p) => cut(resolve(p)));
  return [...new Set(paths.filter((p) => existsSync(p)))];
}

/** The jobs a run is spread over: its own shard, or the target's parallel shards, or one job. */
function shardsOf(request: RunRequest, parallel: number): Array<Shard | undefined> {
  if (request.shard) return [request.shard];
  if (parallel <= 1) return [undefined];
  return Array.from({ length: parallel }, (_, i) => ({ index: i + 1, total: parallel }));
}

/** A job's run.json, its logs named from the variant's run directory (jobs/<n>/logs/…). */
function relocated(run: RunFile, sub: string): RunFile {
  return { ...run, tests: run.tests.map((t) => (t.log ? { ...t, log: `${sub}/${t.log}` } : t)) };
}

/**
 * A variant's run on a target whose jobs run svmtest's engine themselves (LAVA): one job per shard,
 * submitted together; each job's records journaled in jobs/<n>/ as its console brings them; a job
 * finished in an earlier session is kept, an unfinished one continues its own journal. The jobs'
 * runs are merged into the variant's run.json as shards are.
 */
export async function runRemote(options: RemoteRunOptions): Promise<RunFile> {
  const { remote, prepared, request, dir } = options;
  const files = suitePayload(prepared.suites, prepared.configFile, request.durations);
  const shards = shardsOf(request, remote.parallel);
  const jobOf = (shard: Shard | undefined, n: number) => {
    const sub = `jobs/${n}`;
    const root = join(dir.root, sub);
    const paths = { root, journal: join(root, 'journal.jsonl'), runFile: join(root, 'run.json') };
    const job = inJobRequest(request, shard);
    const name = `svmtest ${prepared.variantName}${shard ? ` shard ${shard.index}/${shard.total}` : ''}`;
    return { sub, paths, job, name, shard, label: shards.length > 1 ? `[job ${n}/${shards.length}] ` : '' };
  };
  const jobs = shards.map((shard, i) => jobOf(shard, i + 1));
  if (remote.dryRun) {
    for (const job of jobs) {
      const definition = await remote.definition({ ...baseJob(job), onLine: () => undefined, onState: () => undefined, signal: options.signal });
      options.print(`# ${job.name}\n${definition}${definition.endsWith('\n') ? '' : '\n'}`);
    }
    throw new DoneEarly(`dry run: ${jobs.length} job definition${jobs.length === 1 ? '' : 's'} printed, nothing submitted`);
  }

  function baseJob(job: (typeof jobs)[number]) {
    const resume =
      existsSync(job.paths.journal) && statSync(job.paths.journal).size > 0
        ? { request: JSON.stringify({ schemaVersion: 1, request: job.job }), journal: readFileSync(job.paths.journal, 'utf8') }
        : undefined;
    return { name: job.name, argv: runFlagsOf(job.job), files, ...(resume ? { resume } : {}) };
  }

  const runJob = async (job: (typeof jobs)[number]): Promise<RunFile> => {
    if (existsSync(job.paths.runFile)) {
      const earlier = readRun(job.paths.runFile);
      if (earlier.run.status === 'complete') {
        options.note(`${job.label}kept: job ${earlier.run.jobs?.[0]?.id ?? '?'} finished in an earlier session`);
        return earlier;
      }
    }
    const order = baseJob(job);
    const recorder = new RemoteRecorder(job.paths, options.progress, job.label);
    const startedAt = options.now().toISOString();
    let submitted: { id: string; url?: string } | undefined;
    let end: RemoteJobEnd;
    try {
      end = await remote.run({
        ...order,
        onLine: (line) => recorder.line(line),
        onState: (state) => options.note(`${job.label}${state}`),
        onSubmitted: (s) => (submitted = s),
        signal: stop.signal,
      });
    } catch (error) {
      // The lab failed under this job (its server went away): what the job sent is kept, the run is incomplete.
      if (!(error instanceof InfraError)) throw error;
      if (!submitted) throw error;
      end = { job: submitted, failure: `${error.message}; the job may still be running there` };
    }
    const interrupted = end.canceled || options.signal.aborted;
    // What the engine there was asked cannot be done (a filter that selects nothing): as it would be here.
    if (recorder.engineError?.kind === 'input') throw new InputError(`${job.label}in LAVA job ${end.job.id}: ${recorder.engineError.message}`);
    const failure =
      end.failure ??
      (recorder.engineError
        ? `svmtest stopped in the job: ${recorder.engineError.message}`
        : !recorder.started
          ? `svmtest did not start in the job${recorder.lastWords ? ` (${recorder.lastWords})` : ''}`
          : !recorder.finished
            ? `svmtest in the job ended without its run.json${recorder.lastWords ? ` (${recorder.lastWords})` : ''}`
            : undefined);
    const labJob: LabJob = { ...end.job, ...(job.shard ? { shard: job.shard } : {}), ...(failure ? { failure } : {}) };
    const fallback = (): RunInfo => ({
      id: randomUUID(),
      variant: prepared.variantName,
      target: prepared.targetName,
      startedAt,
      status: 'incomplete',
      ...(job.shard ? { shard: job.shard } : {}),
      selection: { suites: prepared.suites.map((s) => s.name) },
      environment: { gpus: [] },
      toolVersion: toolVersion(),
    });
    return recorder.finish(
      labJob,
      {
        status: interrupted ? 'interrupted' : 'incomplete',
        ...(failure && !interrupted ? { error: { stage: 'lab job', message: `job ${end.job.id}: ${failure}` } } : {}),
      },
      fallback,
      prepared.kernelEvents,
      options.now(),
    );
  };
  // One job failing in svmtest itself stops the others: none is left running unwatched.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  const settled = await Promise.allSettled(
    jobs.map((job) =>
      runJob(job).catch((error: unknown) => {
        stop.abort();
        throw error;
      }),
    ),
  );
  options.signal.removeEventListener('abort', onAbort);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const done = settled.map((s) => (s as PromiseFulfilledResult<RunFile>).value);
  // A job that never booted knows nothing of the machine: it ran on the kernel its siblings report.
  const reference = done.find((r) => r.run.environment.kernelRelease)?.run.environment;
  const runs = done.map((r) => (r.run.environment.kernelRelease || !reference ? r : { ...r, run: { ...r.run, environment: reference } }));
  const kernelBuild = kernelBuildOf(options.kernelManifest);
  const parts = runs.map((run, i) => ({ file: jobs[i]!.paths.runFile, run: relocated(run, jobs[i]!.sub) }));
  const merged = parts.length === 1 ? parts[0]!.run : mergeRuns(parts, randomUUID()).run;
  const info = merged.run;
  const run: RunFile = {
    ...merged,
    run: {
      ...info,
      target: prepared.targetName,
      ...(request.shard ? { shard: request.shard } : {}),
      jobs: runs.flatMap((r) => r.run.jobs ?? []),
      environment: kernelBuild && !info.environment.kernelBuild ? { ...info.environment, kernelBuild } : info.environment,
      ...(options.warnings.length > 0 ? { warnings: [...new Set([...(info.warnings ?? []), ...options.warnings])] } : {}),
    },
  };
  writeRun(dir.runFile, run);
  return run;
}

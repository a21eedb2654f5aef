import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildKernelAt, type CommitSource, type KernelSpec, type VariantBuild } from '../../build/kernel-build.js';
import { BuildKilled } from '../../build/run-logged.js';
import { judgeStep, wantsAnotherRun } from '../../compare/bisect-verdict.js';
import type { LoadedConfig } from '../../config/load.js';
import type { BisectCommit, BisectRun, BisectStep, BisectTestResult, StepRole } from '../../model/bisect.js';
import { InfraError } from '../../model/errors.js';
import type { ProgressSink } from '../../model/progress.js';
import { type RunFile, testId } from '../../model/run.js';
import { cacheDir } from '../paths.js';
import type { RunRequest } from '../run-request.js';
import { runVariant } from '../run-variant.js';
import type { BisectDir } from './bisect-dir.js';
import { stepRunDir } from './bisect-dir.js';

export interface CommitTrial {
  readonly role: StepRole;
  readonly n: number;
  readonly commit: BisectCommit;
  /** Runs of this step an earlier session finished (a resume), and the build they used. */
  readonly earlier?: { readonly build: BisectStep['build']; readonly runs: readonly BisectRun[] };
}

export interface TrialContext {
  readonly dir: BisectDir;
  readonly spec: KernelSpec;
  readonly variant: VariantBuild;
  readonly source: CommitSource;
  readonly configDir: string;
  /** The config with what a bisect must not do per run turned off (an SSH DUT's restore). */
  readonly loaded: LoadedConfig;
  readonly request: RunRequest;
  readonly tests: readonly string[];
  readonly runs: number;
  readonly progress: () => Promise<{ sink: ProgressSink; close: () => Promise<void> }>;
  readonly note: (message: string) => void;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** Told of each finished run at once, so it is journaled before the next starts. */
  readonly onRun: (build: BisectStep['build'], run: BisectRun) => void;
}

/** The kernel of the checked-out commit, or why it could not be built (a skip, as git bisect has it). */
async function buildStep(context: TrialContext): Promise<{ build: BisectStep['build']; kernel?: string; modules?: string } | 'interrupted'> {
  const started = performance.now();
  try {
    const artifacts = await buildKernelAt(context.spec, context.variant, context.source, {
      cacheDir: cacheDir(),
      configDir: context.configDir,
      step: (title) => context.note(`  build: ${title}`),
      logLine: () => undefined,
    });
    const manifest = JSON.parse(readFileSync(artifacts.manifest, 'utf8')) as { timingsMs?: { make?: number } };
    return {
      build: {
        ms: Math.round(performance.now() - started),
        cacheHit: artifacts.cacheHit,
        ...(!artifacts.cacheHit && manifest.timingsMs?.make !== undefined ? { makeMs: manifest.timingsMs.make } : {}),
        release: artifacts.release,
        artifact: artifacts.dir,
      },
      kernel: artifacts.kernel,
      ...(artifacts.modules ? { modules: artifacts.modules } : {}),
    };
  } catch (error) {
    // Only a build that failed by itself says the commit does not build; a killed one says nothing.
    if (context.signal.aborted) return 'interrupted';
    if (!(error instanceof InfraError) || error instanceof BuildKilled) throw error;
    return { build: { ms: Math.round(performance.now() - started), cacheHit: false, error: error.message.split('\n').slice(0, 3).join(' ') } };
  }
}

/** The named tests of a finished run, each with why it failed and its kernel records. */
function resultsOf(run: RunFile, runDir: string, root: string, tests: readonly string[]): BisectTestResult[] {
  const byId = new Map(run.tests.map((t) => [testId(t), t]));
  return tests.map((id) => {
    const t = byId.get(id);
    if (!t) return { id, status: 'missing' };
    return {
      id,
      status: t.status,
      ...(t.message ? { message: t.message.slice(0, 2000) } : {}),
      ...(t.kernelEvents.length > 0 ? { kernelEvents: t.kernelEvents } : {}),
      ...(t.log ? { log: relative(root, join(runDir, t.log)) } : {}),
    };
  });
}

/** Why a run tells nothing about the commit: its preflight or its infrastructure failed. */
function runError(run: RunFile): string | undefined {
  const failed = (run.run.preflight ?? []).filter((c) => !c.ok);
  if (failed.length > 0) return `preflight: ${failed.map((c) => `${c.name}: expected ${c.expected}, found ${c.found}`).join('; ')}`;
  if (run.errors.length > 0) return run.errors.map((e) => `${e.stage}: ${e.message}`).join('; ');
  return undefined;
}

async function oneRun(
  context: TrialContext,
  trial: CommitTrial,
  kernel: { kernel: string; modules?: string },
  index: number,
): Promise<BisectRun | 'interrupted'> {
  const dir = stepRunDir(trial.role, trial.commit.commit, index);
  const out = join(context.dir.root, dir);
  const progress = await context.progress();
  const timings: { boot?: number; run?: number } = {};
  try {
    const { run } = await runVariant({
      request: { ...context.request, kernel: kernel.kernel, ...(kernel.modules ? { modules: kernel.modules } : {}), filters: [...context.tests], retries: 0 },
      loaded: context.loaded,
      keepMachine: true,
      out,
      progress: progress.sink,
      note: context.note,
      signal: context.signal,
      now: context.now,
      onTiming: (stage, ms) => (timings[stage] = Math.round(ms)),
    });
    if (run.run.status === 'interrupted') return 'interrupted';
    const error = runError(run);
    return {
      index,
      dir,
      ...(timings.boot !== undefined ? { bootMs: timings.boot } : {}),
      ...(timings.run !== undefined ? { runMs: timings.run } : {}),
      tests: resultsOf(run, out, context.dir.root, context.tests),
      ...(error ? { error } : {}),
    };
  } catch (error) {
    // The kernel did not boot, or its machine could not be reached: this run tests nothing.
    if (!(error instanceof InfraError)) throw error;
    if (context.signal.aborted) return 'interrupted';
    return { index, dir, ...(timings.boot !== undefined ? { bootMs: timings.boot } : {}), tests: [], error: error.message.split('\n')[0]! };
  } finally {
    await progress.close();
  }
}

/**
 * One commit: its kernel built (a build failure is a skip), then the named tests run up to N times
 * on the target — stopping at the first failing run, except at the bad end, where every run is
 * needed to tell a regression from a flake.
 */
export async function testCommit(context: TrialContext, trial: CommitTrial): Promise<BisectStep | 'interrupted'> {
  const built = await buildStep(context);
  if (built === 'interrupted') return 'interrupted';
  const runs: BisectRun[] = [...(trial.earlier?.runs ?? [])];
  const build = trial.earlier && built.build.cacheHit ? trial.earlier.build : built.build;
  const finish = (verdict: BisectStep['verdict'], reason?: string): BisectStep => ({
    n: trial.n,
    role: trial.role,
    commit: trial.commit,
    build,
    runs,
    verdict,
    ...(reason ? { reason } : {}),
    finishedAt: context.now().toISOString(),
  });
  if (!built.kernel) return finish('skip', `build failed: ${built.build.error ?? 'no kernel'}`);
  context.note(`  kernel ${built.build.release} ${built.build.cacheHit ? '(cache hit)' : `built in ${(built.build.ms / 1000).toFixed(1)} s`}`);
  while (wantsAnotherRun(runs, context.runs, trial.role === 'bad-end')) {
    const run = await oneRun(context, trial, { kernel: built.kernel, ...(built.modules ? { modules: built.modules } : {}) }, runs.length + 1);
    if (run === 'interrupted') return 'interrupted';
    runs.push(run);
    context.onRun(build, run);
    const said = run.error ?? run.tests.map((t) => `${t.id} ${t.status}`).join(', ');
    context.note(`  run ${run.index}/${context.runs}: ${said}`);
  }
  const judged = judgeStep(runs, context.runs);
  return finish(judged.verdict, judged.reason);
}

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type BisectSource, bisectWorktreePath, commitsBetween, describeCommit, prepareBisectWorktree } from '../../build/bisect-worktree.js';
import { bisectLog, bisectMark, bisectReplay, bisectReset, bisectStart, type BisectState, headCommit } from '../../build/git-bisect.js';
import { git } from '../../build/git.js';
import { seriesProvenance } from '../../build/series.js';
import { buildUserspace } from '../../build/userspace/build-userspace.js';
import type { KernelSpec } from '../../build/kernel-build.js';
import { repository, type SourceContext } from '../../build/worktree.js';
import { type LoadedConfig, loadConfig, variantOf } from '../../config/load.js';
import {
  BISECT_SCHEMA_VERSION,
  type BisectCommit,
  type BisectFile,
  type BisectInfo,
  type BisectOutcome,
  type BisectStep,
  type StepRole,
  loreLink,
} from '../../model/bisect.js';
import { InfraError, InputError } from '../../model/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../../model/json-file.js';
import type { ProgressSink } from '../../model/progress.js';
import { bootingTargets, targetFactory } from '../../targets/registry.js';
import { HostTarget } from '../../targets/host.js';
import { discoverGpus } from '../../targets/topology.js';
import { cacheDir } from '../paths.js';
import { targetContext } from '../prepare-run.js';
import { timestampDir } from '../run-dir.js';
import { acquireRunLock } from '../run-lock.js';
import { Teardowns } from '../teardown.js';
import { type BisectDir, bisectDirAt } from './bisect-dir.js';
import { appendRecord, replayBisect, stepKey } from './bisect-journal.js';
import { type BisectGiven, type BisectRequest, DEFAULT_RUNS, loadBisectRequest, resumeBisectRequest, saveBisectRequest } from './bisect-request.js';
import { checkEnd, flakyNote, resolveEnds, shortCommit, Stop } from './ends.js';
import { type TrialContext, testCommit } from './test-commit.js';

export interface BisectOptions {
  /** A new bisect's request; with --resume, the flags given again (checked against the saved ones). */
  readonly request: BisectGiven;
  readonly out?: string;
  readonly resume?: string;
  readonly openProgress: () => Promise<{ sink: ProgressSink; close: () => Promise<void> }>;
  readonly note: (message: string) => void;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** Told of each decided step (the ends included) as it is journaled. */
  readonly onStep?: (step: BisectStep) => void;
}

export interface BisectResult {
  readonly file: BisectFile;
  readonly dir: BisectDir;
}

function startDir(options: BisectOptions): { dir: BisectDir; request: BisectRequest; loaded: LoadedConfig } {
  if (options.resume) {
    const dir = bisectDirAt(options.resume);
    if (!existsSync(dir.root)) throw new InputError(`--resume ${dir.root}: no such directory`);
    const request = resumeBisectRequest(loadBisectRequest(dir.request, dir.root), options.request, dir.root);
    return { dir, request, loaded: loadConfig(request.config) };
  }
  const request: BisectRequest = { ...options.request, runs: options.request.runs ?? DEFAULT_RUNS };
  if (request.tests.length === 0 && !request.fromHistory)
    throw new InputError('bisect needs the test that regressed: --test SUITE/TEST (repeatable), or --from-history SUITE/TEST');
  for (const t of request.tests) {
    const slash = t.indexOf('/');
    if (slash <= 0 || slash === t.length - 1) throw new InputError(`--test ${t}: expected SUITE/TEST, e.g. kfdtest/KFDSVMRangeTest.MigrateTest`);
  }
  const loaded = loadConfig(request.config);
  const dir = bisectDirAt(options.out ?? timestampDir(loaded.config.run.out, 'bisect', options.now()));
  if (existsSync(dir.journal)) throw new InputError(`--out ${dir.root}: already holds a bisect; use --resume ${dir.root} to continue it, or another --out`);
  return { dir, request, loaded };
}

/** The ROCm userspace does not change between steps: built (or found in the cache) once. */
async function buildUserspaceOnce(loaded: LoadedConfig, variantName: string, configDir: string, note: (message: string) => void): Promise<void> {
  const { config, file } = loaded;
  if (Object.keys(config.userspace).length === 0) return;
  const gpus = [...new Set((await discoverGpus(new HostTarget())).map((g) => g.gfx))];
  await buildUserspace(variantName, file, config.userspace, variantOf(config, variantName, file).build.cmake, {
    cacheDir: cacheDir(),
    configDir,
    gpusFound: gpus,
    step: (title) => note(`userspace: ${title}`),
    logLine: () => undefined,
  });
}

/** The variant's bisect worktree, held by this bisect alone (two at once would move each other's HEAD). */
async function lockedWorktree(
  spec: KernelSpec,
  variant: { name: string; series: boolean },
  context: SourceContext,
  teardowns: Teardowns,
): Promise<BisectSource> {
  const repo = await repository(spec, context);
  const path = bisectWorktreePath(cacheDir(), repo, variant.name);
  mkdirSync(dirname(path), { recursive: true });
  teardowns.add('bisect worktree lock', acquireRunLock(`${path}.lock`, path));
  return prepareBisectWorktree(spec, variant, context);
}

/**
 * `svmtest bisect`: from "this test regressed" to the patch of the series that broke it. The ends
 * are checked first (the test passes at good and fails at bad, N runs each), then git bisect walks
 * the variant's series; each step builds the commit's kernel (cached by its tree), boots it on the
 * target, proves it and runs the named tests up to N times. Every run and step is journaled at once,
 * and `git bisect log` saved after each mark: a resume replays both and rebuilds nothing.
 */
export async function bisect(options: BisectOptions): Promise<BisectResult> {
  const teardowns = new Teardowns();
  let worktree: string | undefined;
  let booted = false;
  let restore: (() => Promise<void>) | undefined;
  try {
    const { dir, request, loaded } = startDir(options);
    mkdirSync(dir.root, { recursive: true });
    teardowns.add('bisect directory lock', acquireRunLock(dir.lock, dir.root));
    if (!options.resume) saveBisectRequest(dir.request, request);
    const { config, file } = loaded;
    if (!config.kernel)
      throw new InputError(`${file}: bisect builds a kernel per step: it needs a kernel: section (repo, base, series); see config/examples/build.yaml`);
    const variantName = request.variant ?? config.candidate;
    const variant = variantOf(config, variantName, file);
    const target = request.run.target ?? config.run.target;
    const booting = bootingTargets();
    if (!booting.includes(target))
      throw new InputError(`--target ${target}: bisect boots each step's kernel; use a target that boots one (${booting.join(', ')})`);
    const configDir = dirname(resolve(file));
    const sourceContext = { cacheDir: cacheDir(), configDir, step: (title: string) => options.note(`worktree: ${title}`) };

    await buildUserspaceOnce(loaded, variantName, configDir, options.note);
    const source = await lockedWorktree(config.kernel, { name: variantName, series: variant.build.series }, sourceContext, teardowns);
    worktree = source.worktree;
    const wt = source.worktree;

    const replayed = replayBisect(dir.journal);
    const { good, bad, tests, commits, fromHistory } = await resolveEnds(source, request, replayed, { variant: variantName, loaded });
    // Patches are numbered as the series has them (patch 4 of 18), whatever range is bisected.
    const series = source.tip === source.baseCommit ? [] : await commitsBetween(wt, source.baseCommit, source.tip);
    const patchOf = new Map(series.map((c, i) => [c, i + 1]));
    const describe = async (commit: string): Promise<BisectCommit> => {
      const info = await describeCommit(wt, commit);
      const lore = loreLink(info.messageId);
      return { ...info, ...(patchOf.has(commit) ? { patch: patchOf.get(commit)! } : {}), ...(lore ? { lore } : {}) };
    };

    const provenance = source.series ? seriesProvenance(source.series.mboxes) : undefined;
    const info: BisectInfo = replayed.info ?? {
      id: randomUUID(),
      variant: variantName,
      target,
      tests,
      runs: request.runs,
      good: await describe(good),
      bad: await describe(bad),
      commits: commits.length,
      maxSteps: Math.ceil(Math.log2(commits.length + 1)) + 1,
      repo: source.repo,
      base: config.kernel.base,
      ...(provenance ? { series: provenance } : {}),
      ...(fromHistory ? { fromHistory } : {}),
      startedAt: options.now().toISOString(),
      outcome: 'running',
    };
    if (!replayed.info) appendRecord(dir.journal, { type: 'start', info });
    else options.note(`resuming bisect ${info.id}: ${replayed.steps.length} steps already decided`);
    const steps: BisectStep[] = [...replayed.steps];
    const save = (outcome: BisectOutcome, message?: string, extra: Partial<BisectFile> = {}): BisectFile => {
      const result: BisectFile = {
        schemaVersion: BISECT_SCHEMA_VERSION,
        bisect: { ...info, outcome, ...(message ? { message } : {}), ...(outcome !== 'running' ? { finishedAt: options.now().toISOString() } : {}) },
        steps,
        ...extra,
      };
      writeJsonAtomic(dir.result, result);
      return result;
    };

    const runRequest = {
      ...request.run,
      config: file,
      variant: variantName,
      target,
      ...(request.run.suites?.length || request.run.suiteFiles?.length ? {} : { suites: [...new Set(tests.map((t) => t.slice(0, t.indexOf('/'))))] }),
    };
    // Each run boots the step's kernel on the machine; putting the machine back (ssh.restore) is done once, at the end.
    const factory = await targetFactory(target);
    if (factory.release) {
      const context = targetContext(runRequest, loaded, { runDir: dir.root, console: '/dev/null', agent: dir.root }, options.note);
      restore = () => factory.release!(context);
    }
    const trial: TrialContext = {
      dir,
      spec: config.kernel,
      variant: { name: variantName, series: variant.build.series, kconfig: variant.build.kconfig },
      source,
      configDir,
      loaded,
      request: runRequest,
      tests,
      runs: request.runs,
      progress: options.openProgress,
      note: options.note,
      signal: options.signal,
      now: options.now,
      onRun: (build, run) => {
        booted = true;
        appendRecord(dir.journal, { type: 'run', role: current.role, commit: current.commit, build, run });
      },
    };
    let current: { role: StepRole; commit: string } = { role: 'good-end', commit: good };
    let n = steps.length;
    const decide = async (role: StepRole, commit: string): Promise<BisectStep> => {
      const done = steps.find((s) => s.role === role && s.commit.commit === commit);
      if (done) return done;
      current = { role, commit };
      const described = await describe(commit);
      options.note(
        `\n== ${role === 'step' ? `step ${n - 1}` : `${role === 'good-end' ? 'good' : 'bad'} end`}: ${shortCommit(described)}${described.patch ? `, patch ${described.patch} of ${series.length}` : ''} ==`,
      );
      const earlier = replayed.partial.get(stepKey(role, commit));
      const step = await testCommit(trial, { role, n, commit: described, ...(earlier ? { earlier } : {}) });
      if (step === 'interrupted') throw new Stop('interrupted', `interrupted; continue with: svmtest bisect --resume ${dir.root}`);
      n++;
      appendRecord(dir.journal, { type: 'step', step });
      steps.push(step);
      save('running');
      options.onStep?.(step);
      return step;
    };

    try {
      // The ends first: a bisect between ends that do not disagree would blame an innocent patch.
      for (const [role, commit] of [
        ['good-end', good],
        ['bad-end', bad],
      ] as const) {
        if (!steps.some((s) => s.role === role)) await git(wt, ['checkout', '--quiet', '--force', '--detach', commit]);
        const step = await decide(role, commit);
        checkEnd(step, tests, request);
      }
      let state: BisectState =
        existsSync(dir.gitLog) && steps.some((s) => s.role === 'step') ? await bisectReplay(wt, dir.gitLog) : await bisectStart(wt, bad, good);
      writeFileAtomic(dir.gitLog, await bisectLog(wt));
      while (state.kind === 'next') {
        const head = await headCommit(wt);
        if (head !== state.commit) throw new InputError(`git bisect checked out ${state.commit.slice(0, 12)} but the worktree is at ${head.slice(0, 12)}`);
        const step = await decide('step', state.commit);
        state = await bisectMark(wt, step.verdict);
        writeFileAtomic(dir.gitLog, await bisectLog(wt));
      }
      const searched = steps.filter((s) => s.role === 'step').length;
      if (state.kind === 'found') {
        const firstBad = await describe(state.commit);
        const flaky = flakyNote(steps, request);
        return {
          file: save(
            'found',
            `first bad commit: ${shortCommit(firstBad)}${firstBad.patch ? `, patch ${firstBad.patch} of ${series.length}` : ''}, after ${searched} steps (at most ${info.maxSteps} expected)${flaky}`,
            { firstBad },
          ),
          dir,
        };
      }
      const candidates = await Promise.all(state.candidates.map(describe));
      const skipped = steps.filter((s) => s.verdict === 'skip').map((s) => `${s.commit.commit.slice(0, 12)}: ${s.reason}`);
      return {
        file: save(
          'ambiguous',
          `the first bad commit is one of ${candidates.length} commits, ${candidates.map((c) => c.commit.slice(0, 12)).join(', ')}: git bisect had to skip ${skipped.join('; ')}`,
          { candidates },
        ),
        dir,
      };
    } catch (error) {
      if (error instanceof Stop) return { file: save(error.outcome, error.message), dir };
      // The machinery failed (a killed build, a lost DUT): nothing is journaled as the commit's fault; resumable.
      if (error instanceof InfraError)
        return {
          file: save(options.signal.aborted ? 'interrupted' : 'infrastructure', `${error.message}; continue with: svmtest bisect --resume ${dir.root}`),
          dir,
        };
      throw error;
    }
  } finally {
    if (worktree) await bisectReset(worktree);
    if (restore && booted) await restore().catch((error: Error) => options.note(`putting the machine back failed: ${error.message}`));
    await teardowns.runAll(options.note);
  }
}

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { comparisonExitCode, type FailOn } from '../compare/exit-policy.js';
import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { ProgressSink } from '../model/progress.js';
import type { PerfSettings } from '../model/comparison.js';
import { DoneEarly, InputError } from '../model/errors.js';
import type { Screen } from '../reporters/types.js';
import { compareSaved } from './compare.js';
import { importIntoHistory } from './history.js';
import { KeptMachines } from './kept-machines.js';
import { renderReports } from './render-reports.js';
import { timestampDir } from './run-dir.js';
import type { RunRequest } from './run-request.js';
import { runVariant, type VariantRun } from './run-variant.js';
import { timedRounds } from './timed-rounds.js';

export interface Stage {
  readonly name: string;
  readonly ms: number;
}

export interface CiOptions {
  /** Run options shared by both variants (the variant itself comes from the config). */
  readonly request: RunRequest;
  readonly out?: string;
  readonly failOn: FailOn;
  /** How performance verdicts are decided, when `--repeat` timed the tests. */
  readonly performance?: PerfSettings;
  readonly reporter: string;
  /** Import both runs and the comparison into this history store at the end (a nightly). */
  readonly history?: string;
  readonly screen: Screen;
  readonly openProgress: () => Promise<{ sink: ProgressSink; close: () => Promise<void> }>;
  readonly note: (message: string) => void;
  readonly signal: AbortSignal;
  readonly now: () => Date;
}

export interface CiResult {
  readonly code: ExitCode;
  readonly outDir: string;
  readonly stages: readonly Stage[];
}

/**
 * Each variant: boot/deploy, preflight, run → compare → reports. One directory per invocation;
 * a variant whose infrastructure failed gives exit 3 and no verdict.
 */
export async function ci(options: CiOptions): Promise<CiResult> {
  const loaded = loadConfig(options.request.config);
  const machines = new KeptMachines();
  try {
    return await ciWith(options, loaded, machines);
  } finally {
    await machines.release(options.note);
  }
}

async function ciWith(options: CiOptions, loaded: LoadedConfig, machines: KeptMachines): Promise<CiResult> {
  const { config, file } = loaded;
  if (config.baseline === config.candidate) {
    throw new InputError(
      `${file}: baseline and candidate are both "${config.baseline}"; a comparison of a variant with itself proves nothing — name two variants (e.g. baseline: legacy, candidate: gpusvm)`,
    );
  }
  const outDir = resolve(options.out ?? timestampDir(config.run.out, randomUUID().slice(0, 8), options.now()));
  mkdirSync(outDir, { recursive: true });
  const stages: Stage[] = [];
  const failed: string[] = [];
  const dryRuns: string[] = [];
  const firsts: VariantRun[] = [];
  for (const variant of [config.baseline, config.candidate]) {
    options.note(`\n== ${variant} ${variant === config.baseline ? '(baseline)' : '(candidate)'} on ${options.request.target ?? config.run.target} ==`);
    const progress = await options.openProgress();
    let result: Awaited<ReturnType<typeof runVariant>>;
    try {
      // --fail-fast: the candidate stops after so many regressions against the baseline just run.
      const baselineRun =
        variant === config.candidate && options.request.failFast !== undefined ? { baselineRun: join(outDir, config.baseline, 'run.json') } : {};
      const { failFast, ...shared } = options.request;
      result = await runVariant({
        request: {
          target: config.run.target,
          ...shared,
          ...(failFast !== undefined && variant === config.candidate ? { failFast } : {}),
          ...baselineRun,
          variant,
        },
        loaded,
        out: join(outDir, variant),
        progress: progress.sink,
        note: options.note,
        signal: options.signal,
        now: options.now,
        onTiming: (stage, ms) => stages.push({ name: `${stage} ${variant}`, ms }),
        machines,
      });
    } catch (error) {
      // A dry run (--target lava --dry-run) shows what each variant would submit.
      if (!(error instanceof DoneEarly)) throw error;
      dryRuns.push(`${variant}: ${error.message}`);
      continue;
    } finally {
      await progress.close();
    }
    firsts.push(result);
    const { run } = result;
    for (const check of run.run.preflight ?? [])
      if (!check.ok) options.note(`preflight failed — ${check.name}: expected ${check.expected}, found ${check.found}`);
    if (run.run.status === 'interrupted') return { code: EXIT.interrupted, outDir, stages };
    if (run.run.status !== 'complete' || run.errors.length > 0) failed.push(variant);
  }
  if (dryRuns.length > 0) throw new DoneEarly(dryRuns.join('; '));
  if (failed.length > 0) {
    options.note(
      `\nsvmtest ci: no verdict — the infrastructure failed for ${failed.join(' and ')} (see ${failed.map((v) => join(outDir, v, 'run.json')).join(', ')}); these are not test regressions.`,
    );
    return { code: EXIT.infra, outDir, stages };
  }
  const timedStart = performance.now();
  const timed = await timedRounds(
    firsts,
    options.request.repeat,
    async (request, dir, resume, variantDir) => {
      const progress = await options.openProgress();
      try {
        return await runVariant({
          request,
          loaded,
          ...(resume ? { resume: dir } : { out: dir }),
          progress: progress.sink,
          note: options.note,
          signal: options.signal,
          now: options.now,
          machines,
          machineDir: variantDir,
        });
      } finally {
        await progress.close();
      }
    },
    options.note,
  );
  await machines.release(options.note);
  if (timed.interrupted) return { code: EXIT.interrupted, outDir, stages };
  if (timed.runs.some((r) => r.run.repeat)) stages.push({ name: 'repeat rounds', ms: performance.now() - timedStart });
  const started = performance.now();
  const expectations = config.expectations ? resolve(dirname(file), config.expectations) : undefined;
  options.note(`\n== verdict: ${config.candidate} against ${config.baseline} ==`);
  const comparison = compareSaved({
    baseline: join(outDir, config.baseline),
    candidate: join(outDir, config.candidate),
    ...(expectations && existsSync(expectations) ? { expectations } : {}),
    out: outDir,
    now: options.now(),
    ...(options.performance ? { performance: options.performance } : {}),
  });
  for (const written of await renderReports({ kind: 'comparison', comparison }, options.reporter, outDir, options.screen)) options.note(`wrote ${written}`);
  stages.push({ name: 'compare and report', ms: performance.now() - started });
  if (options.history) {
    const imported = performance.now();
    for (const r of await importIntoHistory(options.history, [outDir])) options.note(`history ${options.history}: ${r.file} ${r.outcome}`);
    stages.push({ name: 'history import', ms: performance.now() - imported });
  }
  return { code: comparisonExitCode(comparison, options.failOn), outDir, stages };
}

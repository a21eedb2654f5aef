import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../reporters/view.js';
import { compareCommand } from './compare.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { timestampDir } from './reporting.js';
import { runCommand } from './run.js';
import { note } from './screen.js';

export interface CiCommandOptions {
  config?: string;
  out?: string;
  shard?: string;
  durations?: string;
  filter: string[];
  suiteFile: string[];
  suite: string[];
  profile?: string;
  retries?: string;
  jobs?: string;
  kernel?: string;
  modules?: string;
  accel?: string;
  failOn: string;
  reporter: string;
}

export interface Stage {
  readonly name: string;
  readonly ms: number;
}

/**
 * build (cached) → each variant: boot/deploy, preflight, run → compare → reports. One run
 * directory per invocation; a variant whose infrastructure failed gives exit 3 and no verdict.
 */
export async function ciPipeline(configFile: string, config: Config, options: CiCommandOptions, stages: Stage[]): Promise<{ code: ExitCode; outDir: string }> {
  const outDir = resolve(options.out ?? `${timestampDir(config.run.out, randomUUID().slice(0, 8), new Date())}`);
  mkdirSync(outDir, { recursive: true });
  const variants = [config.baseline, config.candidate];
  const failed: string[] = [];
  for (const variant of variants) {
    note(`\n== ${variant} ${variant === config.baseline ? '(baseline)' : '(candidate)'} on ${config.run.target} ==`);
    const code = await runCommand({
      config: configFile,
      variant,
      target: config.run.target,
      suite: options.suite,
      suiteFile: options.suiteFile,
      filter: options.filter,
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.shard ? { shard: options.shard } : {}),
      ...(options.durations ? { durations: options.durations } : {}),
      ...(options.retries ? { retries: options.retries } : {}),
      ...(options.jobs ? { jobs: options.jobs } : {}),
      ...(options.kernel ? { kernel: options.kernel } : {}),
      ...(options.modules ? { modules: options.modules } : {}),
      ...(options.accel ? { accel: options.accel } : {}),
      out: join(outDir, variant),
      reporter: '',
      onTiming: (stage, ms) => stages.push({ name: `${stage} ${variant}`, ms }),
    });
    if (code === EXIT.infra || code === EXIT.interrupted || code === EXIT.usage) {
      failed.push(variant);
      if (code !== EXIT.infra) return { code, outDir };
    }
  }
  if (failed.length > 0) {
    note(`\nsvmtest ci: no verdict — the infrastructure failed for ${failed.join(' and ')} (see ${failed.map((v) => join(outDir, v, 'run.json')).join(', ')}); these are not test regressions.`);
    return { code: EXIT.infra, outDir };
  }
  const started = performance.now();
  const expectations = config.expectations ? resolve(dirname(configFile), config.expectations) : undefined;
  note(`\n== verdict: ${config.candidate} against ${config.baseline} ==`);
  const code = await compareCommand(join(outDir, config.baseline), join(outDir, config.candidate), {
    ...(expectations && existsSync(expectations) ? { expectations } : {}),
    reporter: options.reporter,
    out: outDir,
    failOn: options.failOn,
  });
  stages.push({ name: 'compare and report', ms: performance.now() - started });
  return { code, outDir };
}

export function printStages(stages: readonly Stage[]): void {
  const total = stages.reduce((sum, s) => sum + s.ms, 0);
  note(`\ntime per stage: ${stages.map((s) => `${s.name} ${formatDuration(Math.round(s.ms))}`).join(' · ')} · total ${formatDuration(Math.round(total))}`);
}

export async function ciCommand(options: CiCommandOptions): Promise<ExitCode> {
  const { config, file } = loadConfig(options.config);
  const stages: Stage[] = [];
  const { code, outDir } = await ciPipeline(file, config, options, stages);
  printStages(stages);
  note(`reports in ${outDir}`);
  return code;
}

import { dirname, resolve } from 'node:path';
import { buildKernel, type KernelArtifacts } from '../build/kernel-build.js';
import { buildComponent } from '../build/userspace.js';
import { loadConfig, variantOf } from '../config/load.js';
import { InputError } from '../model/errors.js';
import { formatDuration } from '../reporters/view.js';
import { EXIT, type ExitCode } from '../compare/exit-policy.js';
import { note, statusLine, writeOut } from './screen.js';
import { cacheDir } from '../pipeline/paths.js';

export interface BuildCommandOptions {
  config?: string;
  variant?: string;
  json?: boolean;
}

/** `svmtest build`: each variant's kernel (worktree, series, verified config, make) and userspace, cached. */
export async function buildCommand(options: BuildCommandOptions): Promise<ExitCode> {
  const { config, file } = loadConfig(options.config);
  if (!config.kernel) throw new InputError(`${file}: no kernel: section (repo, base, series, fragments); see config/examples/build.yaml`);
  const names = options.variant ? [options.variant] : [config.baseline, config.candidate];
  const configDir = dirname(resolve(file));
  const results: Array<{ variant: string; kernel: KernelArtifacts; userspace: Array<{ component: string; prefix: string; cacheHit: boolean }>; ms: number }> = [];
  const live = process.stderr.isTTY === true && !process.env.CI;
  for (const name of names) {
    const variant = variantOf(config, name, file);
    const started = performance.now();
    let lastShown = 0;
    const kernel = await buildKernel(
      config.kernel,
      { name, series: variant.build.series, kconfig: variant.build.kconfig },
      {
        cacheDir: cacheDir(),
        configDir,
        step: (title) => note(`[build ${name}] ${title}`),
        // The tail of the build log, live in a terminal; CI logs get the steps only (the full log is saved).
        logLine: (line) => {
          if (!live) return;
          const now = Date.now();
          if (now - lastShown > 200) {
            statusLine(`  ${line.slice(0, (process.stderr.columns ?? 100) - 4)}`);
            lastShown = now;
          }
        },
      },
    );
    if (live) statusLine('');
    const userspace = [];
    for (const [component, spec] of Object.entries(config.userspace)) {
      userspace.push(await buildComponent(component, spec, name, variant.build.cmake[component] ?? {}, cacheDir(), configDir));
    }
    const ms = performance.now() - started;
    results.push({ variant: name, kernel, userspace, ms });
    note(`[build ${name}] ${kernel.cacheHit ? 'cache hit' : 'built'} in ${formatDuration(Math.round(ms))}: kernel ${kernel.release} → ${kernel.dir}`);
  }
  if (options.json) writeOut(`${JSON.stringify(results, null, 1)}\n`);
  return EXIT.ok;
}

// Kernel build benchmark: a cache hit end to end, and an incremental rebuild after editing one
// .c file against `make` alone doing the same incremental build. Uses Debian's linux-source-6.1.
import { execa } from 'execa';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fmtMs, row } from './measure.js';

export async function buildBench(root, bin) {
  const linux = join(root, '.cache', 'linux-source', 'linux');
  if (!existsSync(join(linux, '.git'))) return '### Kernel build\n\n(skipped: run bash scripts/fetch-linux-source.sh .cache/linux-source first)';
  const data = join(root, 'bench', '.data', 'build');
  mkdirSync(data, { recursive: true });
  const cache = join(data, 'cache');
  const config = join(data, 'build.yaml');
  writeFileSync(
    config,
    stringify({
      kernel: { repo: linux, base: 'base', baseConfig: 'tinyconfig', fragments: [join(root, 'config', 'kernel', 'qemu-guest.config')], modules: false },
      variants: { legacy: { build: { series: false } } },
    }),
  );
  const env = { SVMTEST_CACHE: cache, CI: '1' };
  const build = async () => {
    const start = performance.now();
    const r = await execa(process.execPath, [bin, 'build', '-c', config, '--variant', 'legacy', '--json'], { env, reject: false });
    if (r.exitCode !== 0) throw new Error(r.stderr);
    return { ms: performance.now() - start, result: JSON.parse(r.stdout)[0] };
  };
  const first = await build();
  const hit = await build();
  const wt = (await execa('sh', ['-c', 'ls -d "$1"/worktrees/*/legacy', 'sh', cache])).stdout.trim();
  const out = (await execa('sh', ['-c', 'ls -d "$1"/build/*/legacy', 'sh', cache])).stdout.trim();
  const file = join(wt, 'init', 'version.c');
  appendFileSync(file, '\n/* svmtest bench edit 1 */\n');
  const incremental = await build();
  appendFileSync(file, '\n/* svmtest bench edit 2 */\n');
  const start = performance.now();
  await execa('make', ['-C', wt, `O=${out}`, `-j${(await import('node:os')).cpus().length}`, 'bzImage']);
  const makeAlone = performance.now() - start;
  const ratio = incremental.ms / makeAlone;
  return [
    '### Kernel build (linux-source-6.1, tinyconfig + QEMU fragment)',
    '',
    row(['what', 'time', 'figure', 'goal']),
    row(['---', '---:', '---:', '---:']),
    row(['first build (or earlier cache)', fmtMs(first.ms), first.result.kernel.cacheHit ? 'cache hit' : 'full build', '']),
    row([
      '`svmtest build` again, nothing changed',
      fmtMs(hit.ms),
      hit.result.kernel.cacheHit ? 'cache hit' : 'rebuilt',
      `≤ 2000 ms ${hit.ms <= 2000 ? '✓' : '✗'}`,
    ]),
    row(['after editing one .c file: `svmtest build`', fmtMs(incremental.ms), `${ratio.toFixed(2)}× make alone`, `≤ 1.1× ${ratio <= 1.1 ? '✓' : '✗'}`]),
    row(['the same incremental build with `make` alone', fmtMs(makeAlone), '', '']),
  ].join('\n');
}

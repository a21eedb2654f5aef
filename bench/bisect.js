// svmtest bisect benchmark: the six-patch series of test/lab/bisect-series.mjs on Debian's
// linux-source-6.1, bisected in QEMU (TCG) for Series.DomainName (patch 4). Reports the steps
// taken against ceil(log2(n+1)) + 1, each step's time split into build, boot and run, and each
// step's build against `make` alone replaying the same commits in the same order on its own tree.
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { bisectConfig, makeBisectSeries } from '../test/lab/bisect-series.mjs';
import { fmtMs, row } from './measure.js';

async function program(root, data) {
  const out = join(data, 'bisect_tests');
  if (!existsSync(out))
    await execa('g++', ['-O1', '-o', out, join(root, 'test', 'fixtures', 'programs', 'bisect_tests.cc'), '-lgtest', '-lgtest_main', '-pthread']);
  return out;
}

/** `make` alone over the same commits, in the order the bisect built them, from the same starting tree. */
async function makeAlone(linux, data, steps, config) {
  const wt = join(data, 'make-wt');
  const out = join(data, 'make-out');
  await execa('git', ['-C', linux, 'worktree', 'remove', '--force', wt], { reject: false });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await execa('git', ['-C', linux, 'worktree', 'add', '--detach', '--force', wt, steps[0].commit.commit]);
  copyFileSync(config, join(out, '.config'));
  const make = ['-C', wt, `O=${out}`, `-j${cpus().length}`, 'bzImage'];
  await execa('make', [...make.slice(0, 3), 'olddefconfig']);
  await execa('make', make);
  const times = new Map();
  for (const step of steps.slice(1)) {
    await execa('git', ['-C', wt, 'checkout', '--quiet', '--detach', step.commit.commit]);
    const start = performance.now();
    const r = await execa('make', make, { reject: false });
    times.set(step.n, r.exitCode === 0 ? performance.now() - start : undefined);
  }
  await execa('git', ['-C', linux, 'worktree', 'remove', '--force', wt], { reject: false });
  return times;
}

export async function bisectBench(root, bin) {
  const linux = join(root, '.cache', 'linux-source', 'linux');
  if (!existsSync(join(linux, '.git'))) return '### svmtest bisect\n\n(skipped: run bash scripts/fetch-linux-source.sh .cache/linux-source first)';
  const data = join(root, 'bench', '.data', 'bisect');
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  await makeBisectSeries(linux, data, join(data, 'series.mbox'));
  const suite = join(data, 'series.yaml');
  writeFileSync(suite, stringify({ name: 'series', kind: 'gtest', command: [await program(root, data)], timeout: 60 }));
  const config = join(data, 'svmtest.yaml');
  writeFileSync(config, stringify(bisectConfig(linux, 'series.mbox')));
  const out = join(data, 'out');
  const started = performance.now();
  const r = await execa(
    process.execPath,
    [bin, 'bisect', '-c', config, '--suite-file', suite, '-t', 'series/Series.DomainName', '--target', 'qemu', '--runs', '1', '-o', out],
    { env: { SVMTEST_CACHE: join(data, 'cache'), CI: '1' }, reject: false },
  );
  const total = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`svmtest bisect: exit ${r.exitCode}\n${r.stderr.slice(-3000)}`);
  const file = JSON.parse(readFileSync(join(out, 'bisect.json'), 'utf8'));
  const goodBuild = file.steps.find((s) => s.role === 'good-end').build.artifact;
  const alone = await makeAlone(linux, data, file.steps, join(goodBuild, 'config'));
  const search = file.steps.filter((s) => s.role === 'step').length;
  const lines = [
    '### svmtest bisect (linux-source-6.1 tinyconfig, 6 patches, QEMU TCG, 1 run per step)',
    '',
    `First bad commit: patch ${file.firstBad?.patch} (${file.firstBad?.subject}); ${search} search steps after the two ends, against ceil(log2(7)) + 1 = ${file.bisect.maxSteps} ${search <= file.bisect.maxSteps ? '✓' : '✗'}; whole bisect ${fmtMs(total)}.`,
    '',
    row(['step', 'commit', 'verdict', 'build', 'make alone', 'build / make', 'boot', 'run']),
    row(['---', '---', '---', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const s of file.steps) {
    const make = alone.get(s.n);
    const run = s.runs.reduce((t, x) => t + (x.runMs ?? 0), 0);
    const boot = s.runs.reduce((t, x) => t + (x.bootMs ?? 0), 0);
    const ratio = make && !s.build.cacheHit && s.n > 0 ? s.build.ms / make : undefined;
    lines.push(
      row([
        s.role === 'step' ? `step ${s.n - 1}` : s.role,
        `patch ${s.commit.patch ?? 0}`,
        s.verdict,
        s.build.cacheHit ? 'cache hit' : fmtMs(s.build.ms),
        make ? fmtMs(make) : s.n === 0 ? '(full build)' : '—',
        ratio ? `${ratio.toFixed(2)}× ${ratio <= 1.1 ? '✓' : '✗'}` : '',
        fmtMs(boot),
        fmtMs(run),
      ]),
    );
  }
  return lines.join('\n');
}

// The real suites built from the ROCm snapshots: each suite's build from a cold and from a warm cache,
// the whole real-suites A/B under TCG, and kfdtest in the guest — batch against isolated, and what
// svmtest adds per test over the raw binary run the same way (marginal cost: 40 tests against 20).
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { bootImage } from '../dist/targets/qemu/boot-image.js';
import { QemuTarget } from '../dist/targets/qemu/qemu-target.js';
import { fmtMs, row } from './measure.js';

const svmtest = (bin, args, env = {}) => execa(process.execPath, [bin, ...args], { reject: false, env: { NO_COLOR: '1', ...env } });

async function timed(fn) {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

/** kfdtest run raw in a guest the way svmtest runs it: one process for all, or one per test. */
async function rawKfdtest(root, build, tests) {
  const kernelDir = join(root, '.cache', 'debian-kernel');
  const runDir = join(root, 'bench', '.data', 'raw-guest');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const kernel = join(kernelDir, 'vmlinuz');
  const cacheDir = join(process.env.HOME, '.cache', 'svmtest');
  const target = new QemuTarget({
    kernel,
    bootImage: await bootImage(kernel, cacheDir),
    modulesDir: join(kernelDir, 'modules'),
    release: readFileSync(join(kernelDir, 'release'), 'utf8').trim(),
    runDir,
    consoleLog: join(runDir, 'console.log'),
    agentDir: join(runDir, '.agent'),
    cacheDir,
    accel: 'tcg',
    memoryMiB: 2048,
    cpus: 2,
    cmdline: [],
    modprobe: ['amdgpu'],
    vfio: [],
    network: false,
    expose: [root, build],
    bootTimeoutS: 240,
    watchdogS: 900,
    maxReboots: 0,
    note: () => undefined,
  });
  await target.start();
  const kfdtest = join(build, 'bin', 'kfdtest');
  const batch = async (n) => (await timed(() => target.exec({ argv: [kfdtest, `--gtest_filter=${tests.slice(0, n).join(':')}`] }, { timeoutMs: 600_000 }))).ms;
  const isolated = async (n) =>
    (
      await timed(async () => {
        for (const t of tests.slice(0, n)) await target.exec({ argv: [kfdtest, `--gtest_filter=${t}`] }, { timeoutMs: 600_000 });
      })
    ).ms;
  const figures = { batch20: await batch(20), batch40: await batch(40), isolated20: await isolated(20), isolated40: await isolated(40) };
  await target.close();
  return figures;
}

export async function realSuitesBench(root, bin, dataDir) {
  const rocmSrc = process.env.SVMTEST_ROCM_SRC ?? join(root, '..', 'shared', 'rocm-src');
  if (!existsSync(rocmSrc)) return '### Real suites\n\n(skipped: no ROCm sources; set SVMTEST_ROCM_SRC)';
  // Cold: a cache of its own, so every suite builds from nothing; warm: the same again.
  const cache = join(dataDir, 'rocm-cache');
  rmSync(cache, { recursive: true, force: true });
  const env = { SVMTEST_CACHE: cache };
  // The demo builds cold and writes the resolved config (sources filled in) that `svmtest build` takes.
  const demoConfigFile = join(cache, 'demo', 'real-suites-config.yaml');
  const prep = await svmtest(bin, ['demo', '--real-suites', '--rocm-src', rocmSrc, '--out', join(dataDir, 'rs-cold')], env);
  if (prep.exitCode !== 0) throw new Error(`demo --real-suites failed: ${prep.stderr.slice(-2000)}`);
  const componentMs = Object.fromEntries(
    readdirSync(join(cache, 'userspace'))
      .filter((d) => existsSync(join(cache, 'userspace', d, 'manifest.json')))
      .map((d) => {
        const m = JSON.parse(readFileSync(join(cache, 'userspace', d, 'manifest.json'), 'utf8'));
        return [m.component, m.ms];
      }),
  );
  const warm = await timed(() => svmtest(bin, ['build', '-c', demoConfigFile], env));
  const ab = await timed(() => svmtest(bin, ['demo', '--real-suites', '--rocm-src', rocmSrc, '--out', join(dataDir, 'rs-warm')], env));

  // kfdtest in the guest: tests that fail without crashing here, so batch and isolated run the same tests.
  const build = readFileSync(join(cache, 'userspace', 'legacy.latest'), 'utf8').trim();
  const listed = (await execa(join(build, 'bin', 'kfdtest'), ['--gtest_list_tests'], { reject: false })).stdout;
  const tests = [];
  let suite = '';
  for (const line of listed.split('\n')) {
    if (/^\S+\.$/.test(line)) suite = line;
    else if (/^ {2}\S/.test(line) && !/DISABLED_|SVM/.test(suite + line)) tests.push(`${suite}${line.trim()}`);
  }
  const sample = tests.filter((t) => /^KFD(Topology|Memory|Event|QM)Test\./.test(t)).slice(0, 40);
  const raw = await rawKfdtest(root, build, sample);
  const suiteFile = join(dataDir, 'kfdtest-bench.yaml');
  writeFileSync(suiteFile, stringify({ name: 'kfdtest', kind: 'gtest', command: [join(build, 'bin', 'kfdtest')], timeout: 120 }));
  const config = join(dataDir, 'kfdtest-bench-config.yaml');
  writeFileSync(
    config,
    stringify({
      qemu: {
        modprobe: ['amdgpu'],
        memory: 2048,
        accel: 'tcg',
        kernel: join(root, '.cache', 'debian-kernel', 'vmlinuz'),
        modules: join(root, '.cache', 'debian-kernel', 'modules'),
      },
      run: { retries: 0, target: 'qemu' },
    }),
  );
  const through = async (n, isolate) =>
    (
      await timed(() =>
        svmtest(
          bin,
          [
            'run',
            '-c',
            config,
            '--suite-file',
            suiteFile,
            ...(isolate ? ['--isolate'] : []),
            '-o',
            join(dataDir, `kfd-${n}-${isolate}-${Date.now()}`),
            ...sample.slice(0, n).flatMap((t) => ['-f', `kfdtest/${t}`]),
          ],
          env,
        ),
      )
    ).ms;
  const ours = {
    batch20: await through(20, false),
    batch40: await through(40, false),
    isolated20: await through(20, true),
    isolated40: await through(40, true),
  };
  const perTest = (a, b) => (b - a) / 20;
  return [
    '### Real suites (ROCm snapshots; TCG guest, no GPU)',
    '',
    row(['what', 'time', 'figure', 'goal']),
    row(['---', '---:', '---:', '---:']),
    ...['kfdtest', 'rocrtst', 'hip-tests'].map((c) => row([`build ${c}, cold cache`, fmtMs(componentMs[c] ?? NaN), '', ''])),
    row(['`svmtest build`, all three, warm cache', fmtMs(warm.ms), 'cache hit', `≤ 2000 ms ${warm.ms <= 2000 ? '✓' : '✗'}`]),
    row(['`svmtest demo --real-suites` (both variants, warm cache)', fmtMs(ab.ms), `exit ${ab.result.exitCode}`, '']),
    row(['kfdtest in the guest, per test: raw binary, one batch', '', `${fmtMs(perTest(raw.batch20, raw.batch40))}`, '']),
    row([
      '… through svmtest, batch',
      '',
      `${fmtMs(perTest(ours.batch20, ours.batch40))} (+${fmtMs(perTest(ours.batch20, ours.batch40) - perTest(raw.batch20, raw.batch40))})`,
      '',
    ]),
    row(['kfdtest in the guest, per test: raw binary, one process each', '', `${fmtMs(perTest(raw.isolated20, raw.isolated40))}`, '']),
    row([
      '… through svmtest, `--isolate`',
      '',
      `${fmtMs(perTest(ours.isolated20, ours.isolated40))} (+${fmtMs(perTest(ours.isolated20, ours.isolated40) - perTest(raw.isolated20, raw.isolated40))})`,
      '',
    ]),
  ].join('\n');
}

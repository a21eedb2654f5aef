// npm run bench:qemu — boot overhead of the QEMU target against a bare QEMU boot of the same kernel.
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { bootImage } from '../dist/targets/qemu/boot-image.js';
import { buildInitramfs } from '../dist/targets/qemu/initramfs.js';
import { qemuArgv } from '../dist/targets/qemu/qemu-command.js';
import { fmtMs, row } from './measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'svmtest.js');
const DATA = join(ROOT, 'bench', '.data', 'qemu');
const KERNEL_DIR = process.env.SVMTEST_TEST_KERNEL_DIR ?? join(ROOT, '.cache', 'debian-kernel');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function fixtureProgram() {
  const out = join(DATA, 'engine_tests');
  if (!existsSync(out)) await execa('g++', ['-O1', '-o', out, join(ROOT, 'test/fixtures/programs/engine_tests.cc'), '-lgtest', '-pthread']);
  return out;
}

/** A bare boot of an image (the bzImage, or its ELF): our initramfs in probe mode prints a marker as soon as userspace runs, then powers off. */
async function bareBoot(kernel, modules, release) {
  const initramfs = await buildInitramfs({ cacheDir: join(DATA, 'cache'), modulesDir: modules, release });
  const argv = qemuArgv({
    kernel,
    initramfs,
    runDir: '/',
    accel: 'tcg',
    memoryMiB: 1024,
    cpus: 2,
    boot: 0,
    cmdline: [],
    vfio: [],
    network: false,
    probe: true,
  });
  const start = performance.now();
  const qemu = execa('qemu-system-x86_64', argv, { reject: false, buffer: false });
  const ms = await new Promise((resolve) => {
    createInterface({ input: qemu.stdout }).on('line', (line) => line.includes('SVMTEST-PROBE-OK') && resolve(performance.now() - start));
  });
  qemu.kill('SIGKILL');
  await qemu;
  return ms;
}

async function waitFor(predicate, timeoutMs = 300_000) {
  const start = performance.now();
  while (!predicate()) {
    if (performance.now() - start > timeoutMs) throw new Error('timed out');
    await sleep(10);
  }
  return performance.now();
}

/** One `svmtest run --target qemu`: its start to the first test, and a guest panic to the next test. */
async function svmtestRun(kernel, modules, program) {
  const out = join(DATA, 'run');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const runlog = join(out, 'runlog.txt');
  const suite = join(DATA, 'suite.yaml');
  writeFileSync(
    suite,
    stringify({ name: 'fixture', kind: 'gtest', command: [program], env: { SVMTEST_ALLOW_GUEST_PANIC: '1', SVMTEST_FIXTURE_RUNLOG: runlog } }),
  );
  const config = join(DATA, 'config.yaml');
  writeFileSync(config, stringify({ run: { retries: 0 }, qemu: { memory: 1024, accel: 'tcg' } }));
  const start = performance.now();
  const run = execa(
    process.execPath,
    [
      BIN,
      'run',
      '-c',
      config,
      '--suite-file',
      suite,
      '-o',
      out,
      '--target',
      'qemu',
      '--kernel',
      kernel,
      '--modules',
      modules,
      '-f',
      'fixture/Basic.Passes',
      '-f',
      'fixture/Guest.Panic',
      '-f',
      'fixture/Gen*',
    ],
    { reject: false },
  );
  const readLog = () => (existsSync(runlog) ? readFileSync(runlog, 'utf8') : '');
  const firstTest = (await waitFor(() => readLog().includes('Basic.Passes'))) - start;
  const consoleLog = join(out, 'console.log');
  const panicAt = await waitFor(() => existsSync(consoleLog) && readFileSync(consoleLog, 'utf8').includes('sysrq: Trigger a crash'));
  const nextTest = (await waitFor(() => readLog().includes('Gen/SvmParam'))) - panicAt;
  await run;
  return { firstTest, nextTest };
}

/** Unpacking the kernel's ELF from the bzImage: the first boot of a kernel (an empty cache), then a later run's lookup. */
async function unpackFigures(kernel) {
  const cache = join(DATA, 'unpack-cache');
  rmSync(cache, { recursive: true, force: true });
  const timedInChild = async () => {
    const code = `const m = await import(${JSON.stringify(join(ROOT, 'dist/targets/qemu/boot-image.js'))}); const t = performance.now(); await m.bootImage(${JSON.stringify(kernel)}, ${JSON.stringify(cache)}); console.log(performance.now() - t);`;
    return Number((await execa(process.execPath, ['--input-type=module', '-e', code])).stdout.trim());
  };
  const first = await timedInChild();
  let cached = Infinity;
  for (let i = 0; i < 3; i++) cached = Math.min(cached, await timedInChild());
  rmSync(cache, { recursive: true, force: true });
  return { first, cached };
}

// Boots here vary by more than a second from one minute to the next: each side is the best of
// three, taken turn about, so that both meet the same moments of the machine.
const ROUNDS = 3;

export async function qemuFigures() {
  const kernel = join(KERNEL_DIR, 'vmlinuz');
  const modules = join(KERNEL_DIR, 'modules');
  const release = readFileSync(join(KERNEL_DIR, 'release'), 'utf8').trim();
  mkdirSync(DATA, { recursive: true });
  const program = await fixtureProgram();
  // The ELF svmtest boots, through its PVH entry: a bare boot of it too, so that what svmtest adds is plain.
  const elf = (await bootImage(kernel, join(process.env.HOME, '.cache', 'svmtest'))).path;
  let cold = Infinity;
  let coldElf = Infinity;
  let firstTest = Infinity;
  let nextTest = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    cold = Math.min(cold, await bareBoot(kernel, modules, release));
    coldElf = Math.min(coldElf, await bareBoot(elf, modules, release));
    const run = await svmtestRun(kernel, modules, program);
    firstTest = Math.min(firstTest, run.firstTest);
    nextTest = Math.min(nextTest, run.nextTest);
  }
  const unpack = await unpackFigures(kernel);
  return { cold, coldElf, firstTest, nextTest, startRatio: firstTest / cold, panicRatio: nextTest / cold, unpack };
}

export async function qemuBench() {
  const { cold, coldElf, firstTest, nextTest, startRatio, panicRatio, unpack } = await qemuFigures();
  return [
    '### QEMU target (Debian 6.1 kernel, TCG on this machine; real test hosts use KVM)',
    '',
    row(['what', 'time', 'ratio', 'goal']),
    row(['---', '---:', '---:', '---:']),
    row(['bare `qemu-system-x86_64 -kernel vmlinuz -initrd …` to a userspace marker (cold boot)', fmtMs(cold), '', '']),
    row(['the same, `-kernel` its ELF through the PVH entry (what svmtest boots)', fmtMs(coldElf), `${(coldElf / cold).toFixed(2)}× cold boot`, '']),
    row([
      '`svmtest run --target qemu` start to the first test starting',
      fmtMs(firstTest),
      `${startRatio.toFixed(2)}× cold boot (${(firstTest / coldElf).toFixed(2)}× the ELF's)`,
      `≤ 1.3 ${startRatio <= 1.3 ? '✓' : '✗'}`,
    ]),
    row(['guest panic to the next test starting', fmtMs(nextTest), `${panicRatio.toFixed(2)}× cold boot`, `≤ 1.5 ${panicRatio <= 1.5 ? '✓' : '✗'}`]),
    row(["unpacking the ELF from the bzImage: a kernel's first boot (host, once)", fmtMs(unpack.first), '', '']),
    row(["finding it in the cache: every later run (the image's hash), best of three", fmtMs(unpack.cached), '', '']),
  ].join('\n');
}

// `npm run bench:qemu` runs this file; `npm run bench -- overhead` imports it.
if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`${await qemuBench()}\n`);

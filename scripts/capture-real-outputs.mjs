// Captures the real outputs of kfdtest, rocrtst and hip-tests built by `svmtest build` (e.g. by
// `svmtest demo --real-suites`), run in a QEMU guest with amdgpu loaded (a CPU-only /dev/kfd), into
// test/fixtures/real/rocm-builds/ — how those golden inputs were made. Usage (after `npm run build`):
//   node scripts/capture-real-outputs.mjs <variant {build} dir> <hip-tests build dir>
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QemuTarget } from '../dist/targets/qemu/qemu-target.js';

const [build, hipBuild] = process.argv.slice(2);
if (!build || !hipBuild) throw new Error('usage: capture-real-outputs.mjs <{build} dir> <hip-tests build dir>');
const root = new URL('../', import.meta.url).pathname;
const kernelDir = join(root, '.cache', 'debian-kernel');
const out = join(root, 'test', 'fixtures', 'real', 'rocm-builds');
const runDir = mkdtempSync(join(tmpdir(), 'svmtest-capture-'));
mkdirSync(out, { recursive: true });

const target = new QemuTarget({
  kernel: join(kernelDir, 'vmlinuz'),
  modulesDir: join(kernelDir, 'modules'),
  release: (await import('node:fs')).readFileSync(join(kernelDir, 'release'), 'utf8').trim(),
  runDir,
  consoleLog: join(runDir, 'console.log'),
  agentDir: join(runDir, '.agent'),
  cacheDir: join(process.env.HOME, '.cache', 'svmtest'),
  accel: 'tcg',
  memoryMiB: 2048,
  cpus: 2,
  cmdline: [],
  modprobe: ['amdgpu'],
  vfio: [],
  network: false,
  expose: [root, build, hipBuild],
  bootTimeoutS: 240,
  watchdogS: 900,
  maxReboots: 0,
  note: (m) => process.stderr.write(`${m}\n`),
});

async function capture(name, argv, cwd) {
  const r = await target.exec({ argv, ...(cwd ? { cwd } : {}) }, { timeoutMs: 900_000 });
  writeFileSync(join(out, `${name}.txt`), `${r.stdout}${r.stderr ? `${r.stderr}\n` : ''}`);
  writeFileSync(join(out, `${name}.rc`), `rc=${r.exitCode ?? 128 + 11} signal=${r.signal ?? ''}\n`);
  process.stderr.write(`${name}: exit ${r.exitCode} ${r.signal ?? ''}\n`);
}

await target.start();
try {
  const kfdtest = join(build, 'bin', 'kfdtest');
  await capture('kfdtest-list-tests', [kfdtest, '--gtest_list_tests']);
  await capture('kfdtest-console', [kfdtest, '--gtest_filter=KFDOpenCloseKFDTest.*:KFDTopologyTest.*:KFDMemoryTest.MMapLarge:KFDSVMRangeTest.BasicSystemMemTest/*']);
  await capture('kfdtest-xml-run', [kfdtest, '--gtest_filter=KFDOpenCloseKFDTest.*:KFDTopologyTest.*', `--gtest_output=xml:${join(runDir, 'kfdtest.xml')}`]);
  await capture('kfdtest-xml', ['cat', join(runDir, 'kfdtest.xml')]);
  const rocrtstDir = join(build, 'bin', 'gfx900');
  await capture('rocrtst-list-tests', ['./rocrtst64', '--gtest_list_tests'], rocrtstDir);
  await capture('rocrtst-console', ['./rocrtst64', '--gtest_filter=rocrtst.*:rocrtstFunc.Memory*:rocrtstNeg.*'], rocrtstDir);
  await capture('rocrtst-xml-run', ['./rocrtst64', '--gtest_filter=rocrtstFunc.MemoryAllocateAndFreeTest:rocrtstNeg.*', `--gtest_output=xml:${join(runDir, 'rocrtst.xml')}`], rocrtstDir);
  await capture('rocrtst-xml', ['cat', join(runDir, 'rocrtst.xml')]);
  await capture('hip-tests-ctest-console', ['ctest', '--test-dir', hipBuild, '--output-junit', join(runDir, 'hip-tests-junit.xml'), '--timeout', '120']);
  await capture('hip-tests-ctest-junit', ['cat', join(runDir, 'hip-tests-junit.xml')]);
} finally {
  await target.close();
}

// The LAVA target on a real LAVA instance (scripts/start-lava.sh: two TCG qemu devices here): a
// job's overhead over `svmtest run --target qemu` with the same kernel and tests, split into queue,
// boot (to svmtest's first echo in the job), the tests, and result collection after the job ended;
// then four shards on two devices against the same four on one.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { trivialProgram } from './engine.js';
import { fmtMs, row } from './measure.js';

const LAVA_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

function lavaServer(root) {
  if (!process.env.SVMTEST_TEST_LAVA_URL) {
    const out = execFileSync('bash', [join(root, 'scripts', 'start-lava.sh')], { encoding: 'utf8' });
    for (const line of out.split('\n')) {
      const [key, value] = line.split('=', 2);
      if (key?.startsWith('SVMTEST_TEST_LAVA_')) process.env[key] = value;
    }
  }
  return { url: process.env.SVMTEST_TEST_LAVA_URL, token: readFileSync(process.env.SVMTEST_TEST_LAVA_TOKEN_FILE, 'utf8').trim() };
}

async function api(server, path) {
  const response = await fetch(`${server.url}api/v0.2/${path}`, { headers: { Authorization: `Token ${server.token}` } });
  return path.includes('/logs/') ? response.text() : response.json();
}

const seconds = (iso) => Date.parse(`${iso.replace(/Z$/, '')}Z`) / 1000;

/** A job's phases from LAVA's own times and its log: queued, booted to svmtest's first echo, tests done. */
async function phases(server, id) {
  const job = await api(server, `jobs/${id}/`);
  const log = (await api(server, `jobs/${id}/logs/`)).split('\n');
  const at = (pattern) => {
    const line = log.find((l) => pattern.test(l));
    return line ? seconds(/"dt": "([^"]+)"/.exec(line)[1]) : undefined;
  };
  const firstEcho = at(/SVMTEST:[0-9a-f]{32}:0:/);
  const lastEcho = [...log].reverse().find((l) => /SVMTEST:[0-9a-f]{32}:\d+:[0-9a-f]{8}:E:/.test(l));
  return {
    queue: seconds(job.start_time) - seconds(job.submit_time),
    boot: firstEcho - seconds(job.start_time),
    tests: seconds(/"dt": "([^"]+)"/.exec(lastEcho)[1]) - firstEcho,
    end: seconds(job.end_time),
  };
}

async function timed(bin, args, env) {
  const start = performance.now();
  const r = await execa(process.execPath, [bin, ...args], { reject: false, env: { NO_COLOR: '1', ...env } });
  const ms = performance.now() - start;
  if (![0, 1].includes(r.exitCode)) throw new Error(`svmtest ${args.join(' ')}: exit ${r.exitCode}\n${r.stderr}`);
  return { ms, stopped: Date.now() / 1000 };
}

export async function lavaBench(root, bin, dataDir) {
  rmSync(dataDir, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dataDir]);
  const server = lavaServer(root);
  const env = { SVMTEST_LAVA_TOKEN: server.token };
  const kernelDir = join(root, '.cache', 'debian-kernel');
  const kernel = ['--kernel', join(kernelDir, 'vmlinuz'), '--modules', join(kernelDir, 'modules')];
  const program = await trivialProgram(dataDir);
  const suite = join(dataDir, 'trivial.yaml');
  writeFileSync(suite, stringify({ name: 'trivial', kind: 'gtest', command: [program] }));
  const config = (parallel) => {
    const file = join(dataDir, `config-${parallel}.yaml`);
    writeFileSync(
      file,
      stringify({
        run: { retries: 0, suites: [], suiteFiles: [suite], profile: 'full' },
        qemu: { memory: 1024 },
        lava: { url: server.url, parallel, memory: 1024 },
      }),
    );
    return file;
  };
  const filter = ['-f', 'trivial/Trivial0.*']; // 100 tests
  // Warm both: the guest's module index, the job's initramfs and svmtest's bundle are made once.
  await timed(bin, ['run', '-c', config(1), '--target', 'qemu', ...kernel, ...filter, '-o', join(dataDir, 'warm-qemu')], {});
  await timed(bin, ['run', '-c', config(1), '--target', 'lava', ...kernel, ...filter, '-o', join(dataDir, 'warm-lava')], env);

  const qemu = await timed(bin, ['run', '-c', config(1), '--target', 'qemu', ...kernel, ...filter, '-o', join(dataDir, 'qemu')], {});
  const lavaOut = join(dataDir, 'lava');
  const lava = await timed(bin, ['run', '-c', config(1), '--target', 'lava', ...kernel, ...filter, '-o', lavaOut], env);
  const job = JSON.parse(readFileSync(join(lavaOut, 'run.json'), 'utf8')).run.jobs[0];
  const p = await phases(server, job.id);

  const lines = [
    '### LAVA target (`npm run bench -- lava`: a real LAVA 2023.01 on this machine, two TCG qemu devices, Debian 6.1 kernel, 100 trivial gtest tests)',
    '',
    row(['what', 'time']),
    row(['---', '---:']),
    row(['`run --target qemu` (boot + tests)', fmtMs(qemu.ms)]),
    row(['`run --target lava`, end to end', fmtMs(lava.ms)]),
    row(['— overhead over QEMU', `${fmtMs(lava.ms - qemu.ms)} (${(lava.ms / qemu.ms).toFixed(2)}×)`]),
    row(['— in the queue (submit → running)', fmtMs(p.queue * 1000)]),
    row(['— deploy + boot + svmtest start in the job (running → first echo)', fmtMs(p.boot * 1000)]),
    row(['— the tests in the job (first echo → last)', fmtMs(p.tests * 1000)]),
    row(['— result collection (job end → svmtest done)', fmtMs(Math.max(0, lava.stopped - p.end) * 1000)]),
  ];

  // Four shards of 400 tests: both devices, then one (the other in maintenance).
  const shards = ['-f', 'trivial/Trivial0.*', '-f', 'trivial/Trivial1.*', '-f', 'trivial/Trivial2.*', '-f', 'trivial/Trivial3.*'];
  const two = await timed(bin, ['run', '-c', config(4), '--target', 'lava', ...kernel, ...shards, '-o', join(dataDir, 'two')], env);
  const manage = (args) => execFileSync('lava-server', ['manage', ...args], { env: { ...process.env, ...LAVA_ENV }, stdio: 'ignore' });
  manage(['devices', 'update', '--health', 'MAINTENANCE', 'qemu-02']);
  let one;
  try {
    one = await timed(bin, ['run', '-c', config(4), '--target', 'lava', ...kernel, ...shards, '-o', join(dataDir, 'one')], env);
  } finally {
    manage(['devices', 'update', '--health', 'GOOD', 'qemu-02']);
  }
  lines.push(
    row(['4 shards × 100 tests on 2 devices', fmtMs(two.ms)]),
    row(['4 shards × 100 tests on 1 device', fmtMs(one.ms)]),
    row(['— what the second device gives', `${(one.ms / two.ms).toFixed(2)}× faster`]),
  );
  return lines.join('\n');
}

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ComparisonFile } from '../../src/model/comparison.js';
import type { RunFile } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { debianKernel } from '../helpers/kernel.js';
import { type LavaServer, lavaJob, lavaServer, startWorker, stopWorker } from '../helpers/lava.js';
import { BIN, REPO_ROOT } from '../helpers/paths.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';

// A real LAVA instance (Debian's lava-server and lava-dispatcher, started by scripts/start-lava.sh):
// its own PostgreSQL database, gunicorn, the scheduler and one worker with two TCG qemu devices.
// The jobs boot Debian's kernel with svmtest's initramfs and run the project's gtest program there.
let server: LavaServer;
let dir: string;
let suite: string;
let kernelArgs: string[];
let env: Record<string, string>;

const read = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;
const verdicts = (c: ComparisonFile) => c.entries.map((e) => [`${e.suite}/${e.name}`, e.verdict, e.baseline?.status, e.candidate?.status] as const).sort();

/** Every file under a directory, for checking that a secret never reached one. */
function filesUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(root, e.name)) : [join(root, e.name)]));
}

/** Two variants as a nightly has them: the candidate breaks one test (SVMTEST_FIXTURE_FAIL in its env). */
function lavaConfig(extra: Record<string, unknown> = {}, run: Record<string, unknown> = {}): string {
  return writeConfig(
    dir,
    { suiteFiles: [suite], suites: [], profile: 'full', ...run },
    {
      lava: { url: server.url, memory: 1024, jobTimeout: 15, ...extra },
      qemu: { memory: 1024, bootTimeout: 240, modprobe: [] },
      variants: {
        legacy: { expect: { kfd: false } },
        gpusvm: { expect: { kfd: false }, env: { SVMTEST_FIXTURE_FAIL: 'Nightly.BreaksLater' } },
      },
    },
  );
}

/** How many test results a job's journal holds so far. */
function journaledTests(journal: string): number {
  return existsSync(journal)
    ? readFileSync(journal, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"type":"test"')).length
    : 0;
}

/** Basic.* (done in a second) then Hang.Forever (20 s, its timeout): a job to interrupt while it runs a test. */
function runBasicThenHang(config: string, out: string) {
  const args = ['run', '-c', config, '--target', 'lava', ...kernelArgs, '-f', 'fixture/Basic.*', '-f', 'fixture/Hang.Forever', '--timeout', '20', '-o', out];
  return execa(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, reject: false, env: { ...env, NO_COLOR: '1' } });
}

beforeAll(async () => {
  const program = await gtestProgram();
  server = await lavaServer();
  const k = debianKernel();
  kernelArgs = ['--kernel', k.kernel, '--modules', k.modules];
  env = { SVMTEST_LAVA_TOKEN: server.token };
  dir = tempDir('svmtest-lava-');
  suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program], timeout: 120 });
}, SETUP_TIMEOUT_MS + 1_200_000); // .ci/run starts LAVA in the background: this may wait for it

describe('svmtest on a real LAVA lab (--target lava)', () => {
  it('ci: two variants, two shards each over the two devices; the verdicts equal ci --target qemu on the same kernel and programs', async () => {
    const config = lavaConfig({ parallel: 2 });
    const filters = ['-f', 'fixture/Basic.*', '-f', 'fixture/Crash.*', '-f', 'fixture/Nightly.*', '-f', 'fixture/Slow.*'];
    const lavaOut = join(dir, 'ci-lava');
    const qemuOut = join(dir, 'ci-qemu');
    const lava = await svmtest(['ci', '-c', config, '--target', 'lava', ...kernelArgs, ...filters, '-o', lavaOut, '-r', 'terminal'], { env });
    expect(lava.exitCode, lava.stderr).toBe(1); // the candidate's regression
    const qemu = await svmtest(['ci', '-c', config, '--target', 'qemu', ...kernelArgs, ...filters, '-o', qemuOut, '-r', 'terminal']);
    expect(qemu.exitCode, qemu.stderr).toBe(1);
    const lavaVerdicts = verdicts(read<ComparisonFile>(join(lavaOut, 'comparison.json')));
    expect(lavaVerdicts).toEqual(verdicts(read<ComparisonFile>(join(qemuOut, 'comparison.json'))));
    expect(lavaVerdicts).toContainEqual(['fixture/Nightly.BreaksLater', 'regression', 'pass', 'fail']);
    // Progress while the jobs ran: queued, then on which device.
    expect(lava.stderr).toMatch(/\[job 1\/2\] job \d+ submitted: http/);
    expect(lava.stderr).toMatch(/\[job \d\/2\] job \d+: running on qemu-0[12]/);
    const devices = new Set<string>();
    for (const variant of ['legacy', 'gpusvm']) {
      const run = read<RunFile>(join(lavaOut, variant, 'run.json'));
      expect(run.run.target).toBe('lava');
      expect(run.run.status).toBe('complete');
      expect(run.run.environment.kernelRelease).toBe(debianKernel().release);
      expect(run.run.kernelAttribution).toBe('markers');
      expect(run.run.jobs!.map((j) => j.shard?.index).sort()).toEqual([1, 2]);
      for (const job of run.run.jobs!) {
        expect(job.url).toMatch(new RegExp(`^${server.url}scheduler/job/${job.id}$`));
        devices.add(job.device!);
        expect(await lavaJob(server, job.id)).toMatchObject({ state: 'Finished', health: 'Complete' });
      }
      // Each test once, its output beside it (logs of the job that ran it).
      const ids = run.tests.map((t) => `${t.suite}/${t.name}`);
      expect(new Set(ids).size).toBe(ids.length);
      const failed = run.tests.find((t) => t.name === 'Basic.Fails')!;
      expect(failed.log).toMatch(/^jobs\/[12]\/logs\//);
      expect(readFileSync(join(lavaOut, variant, failed.log!), 'utf8')).toMatch(/deliberate mismatch/);
    }
    // LAVA spread the jobs over both devices of the type.
    expect([...devices].sort()).toEqual(['qemu-01', 'qemu-02']);
  }, 900_000);

  it('--dry-run prints job definitions that LAVA accepts, and submits nothing', async () => {
    const config = lavaConfig({ parallel: 2 });
    const r = await svmtest(['run', '-c', config, '--variant', 'gpusvm', '--target', 'lava', '--dry-run', ...kernelArgs, '-f', 'fixture/Basic.*'], {
      env: { SVMTEST_LAVA_TOKEN: '' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/dry run: 2 job definitions printed, nothing submitted/);
    const definitions = r.stdout.split(/^# svmtest .*$/m).filter((d) => d.trim() !== '');
    expect(definitions).toHaveLength(2);
    for (const text of definitions) {
      const job = parse(text) as { device_type: string; actions: Array<Record<string, unknown>> };
      expect(job.device_type).toBe('qemu');
      // LAVA's own schema (lava_common, strict) accepts it.
      const file = join(dir, 'definition.yaml');
      writeFileSync(file, text);
      execFileSync(
        '/usr/bin/python3',
        ['-c', 'import sys, yaml; from lava_common.schemas import validate; validate(yaml.safe_load(open(sys.argv[1])), strict=True)', file],
        { stdio: 'pipe' },
      );
    }
  }, 300_000);

  it('a wrong token or an unreachable server: exit 3 at once, one line, and the token is nowhere', async () => {
    const config = lavaConfig();
    const secret = 'svmtest-wrong-token-3f9c1e';
    const out = join(dir, 'wrong-token');
    const wrong = await svmtest(['run', '-c', config, '--target', 'lava', ...kernelArgs, '-o', out], { env: { SVMTEST_LAVA_TOKEN: secret } });
    expect(wrong.exitCode).toBe(3);
    expect(
      wrong.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('svmtest:')),
    ).toEqual([`svmtest: LAVA server ${server.url} refused the token in $SVMTEST_LAVA_TOKEN (HTTP 403): check it, or make a new one`]);
    expect(`${wrong.stdout}${wrong.stderr}`).not.toContain(secret);
    if (existsSync(out)) for (const file of filesUnder(out)) expect(readFileSync(file, 'utf8'), file).not.toContain(secret);
    const gone = await svmtest(['run', '-c', config, '--target', 'lava', '--lava-url', 'http://127.0.0.1:59999/', ...kernelArgs], {
      env: { SVMTEST_LAVA_TOKEN: secret },
    });
    expect(gone.exitCode).toBe(3);
    expect(gone.stderr).toMatch(/^svmtest: LAVA server http:\/\/127\.0\.0\.1:59999\/: unreachable \(ECONNREFUSED\)$/m);
    expect(gone.stderr).not.toContain(secret);
    // doctor says the same, as a gate: not ready, exit 3.
    const doctor = await svmtest(['doctor', '-c', config, '--target', 'lava', '--json'], { env: { SVMTEST_LAVA_TOKEN: secret } });
    expect(doctor.exitCode).toBe(3);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ ready: false, missing: ['LAVA server'] });
    expect(doctor.stdout).not.toContain(secret);
  }, 120_000);

  it('doctor --target lava checks the server, the token, the device type and its devices', async () => {
    const config = lavaConfig();
    const r = await svmtest(['doctor', '-c', config, '--target', 'lava', '--json'], { env });
    const report = JSON.parse(r.stdout) as { ready: boolean; items: Array<{ area: string; ok: boolean; found: string }> };
    expect(r.exitCode, r.stdout).toBe(0);
    const byArea = (area: string) => report.items.find((i) => i.area === area);
    expect(byArea('LAVA server')).toMatchObject({ ok: true, found: expect.stringMatching(/LAVA 2023\.01.*token of svmtest/) });
    expect(byArea('devices (qemu)')?.found).toMatch(/qemu-01 .*; qemu-02 /);
    const missing = await svmtest(['doctor', '-c', lavaConfig({ deviceType: 'mi300x' }), '--target', 'lava', '--json'], { env });
    expect(missing.exitCode).toBe(3);
    expect(JSON.parse(missing.stdout)).toMatchObject({ missing: ['device type'] });
  }, 120_000);

  it('a kernel that does not boot: LAVA marks the job Incomplete; the run is incomplete (exit 3) with its error', async () => {
    const bad = join(dir, 'not-a-kernel');
    writeFileSync(bad, Buffer.alloc(64 * 1024, 0x5a));
    const out = join(dir, 'no-boot');
    const r = await svmtest(['run', '-c', lavaConfig({ bootTimeout: 2 }), '--target', 'lava', '--kernel', bad, '-f', 'fixture/Basic.*', '-o', out], {
      env,
    });
    expect(r.exitCode, r.stderr).toBe(3);
    const run = read<RunFile>(join(out, 'run.json'));
    expect(run.run.status).toBe('incomplete');
    expect(run.run.jobs![0]!.failure).toMatch(/^Incomplete: /);
    expect(run.errors[0]!.message).toMatch(new RegExp(`^job ${run.run.jobs![0]!.id}: Incomplete: `));
    expect(await lavaJob(server, run.run.jobs![0]!.id)).toMatchObject({ state: 'Finished', health: 'Incomplete' });
  }, 300_000);

  it('Ctrl-C cancels the job; the run is interrupted (exit 130) and --resume finishes it', async () => {
    const config = lavaConfig();
    const out = join(dir, 'ctrl-c');
    const child = runBasicThenHang(config, out);
    // Once the job's engine has journaled a test, the job is running tests: interrupt then.
    // (A loaded machine may take minutes to boot the job's guest.)
    const journal = join(out, 'jobs', '1', 'journal.jsonl');
    for (let i = 0; i < 1200 && journaledTests(journal) === 0 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 500));
    expect(journaledTests(journal), 'the job never ran a test').toBeGreaterThan(0);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    const run = read<RunFile>(join(out, 'run.json'));
    expect(run.run.status).toBe('interrupted');
    expect(await lavaJob(server, run.run.jobs![0]!.id)).toMatchObject({ state: 'Finished', health: 'Canceled' });
    const resumed = await svmtest(['run', '--resume', out], { env });
    expect(resumed.exitCode, resumed.stderr).toBe(1); // Basic.Fails
    const done = read<RunFile>(join(out, 'run.json'));
    expect(done.run.status).toBe('complete');
    expect(done.tests.find((t) => t.name === 'Hang.Forever')?.status).toBe('timeout');
    expect(done.tests.find((t) => t.name === 'Basic.Passes')?.status).toBe('pass');
  }, 1_200_000);

  it('a worker stopped mid-job: the run is incomplete with what finished; --resume runs only the rest, in a new job', async () => {
    const config = lavaConfig();
    const out = join(dir, 'worker-lost');
    const child = runBasicThenHang(config, out);
    const journal = join(out, 'jobs', '1', 'journal.jsonl');
    const finished = () => journaledTests(journal);
    // Basic.* (5 results, the disabled one included) are journaled; Hang.Forever runs: the worker goes.
    // (A loaded machine may take minutes to boot the job's guest.)
    for (let i = 0; i < 1200 && finished() < 5 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 500));
    expect(finished(), 'the job never got to Hang.Forever').toBe(5);
    stopWorker();
    await new Promise((r) => setTimeout(r, 2000));
    startWorker(); // back: it reports the lost job, which LAVA marks Incomplete
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(3);
    expect(existsSync(join(out, 'run.json')), r.stderr).toBe(true);
    const first = read<RunFile>(join(out, 'run.json'));
    expect(first.run.status).toBe('incomplete');
    expect(first.tests.find((t) => t.name === 'Hang.Forever')).toMatchObject({ status: 'notrun' });
    const kept = first.tests.filter((t) => t.name.startsWith('Basic.'));
    expect(kept.map((t) => t.status).sort()).toEqual(['fail', 'notrun', 'pass', 'skip', 'skip']);
    const firstJob = first.run.jobs![0]!.id;
    const resumed = await svmtest(['run', '--resume', out], { env });
    expect(resumed.exitCode, resumed.stderr).toBe(1);
    const done = read<RunFile>(join(out, 'run.json'));
    expect(done.run.status).toBe('complete');
    expect(done.run.jobs![0]!.id).not.toBe(firstJob);
    expect(done.tests.find((t) => t.name === 'Hang.Forever')?.status).toBe('timeout');
    // The finished tests were not run again: each has one journal record, from the first job.
    const records = readFileSync(journal, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"test"') && l.includes('"name":"Basic.Passes"'));
    expect(records).toHaveLength(1);
    expect(done.tests.filter((t) => t.name.startsWith('Basic.'))).toEqual(kept);
  }, 1_200_000); // up to 10 min for the job to reach Hang.Forever, then a resumed job
});

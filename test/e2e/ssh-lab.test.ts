import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunFile } from '../../src/model/run.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';
import { startLab, type Lab } from '../lab/lab.js';

let lab: Lab;
let program: string;
let dir: string;
let suite: string;

beforeAll(async () => {
  program = await gtestProgram();
  lab = await startLab('main');
  dir = tempDir('svmtest-ssh-');
  suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program], timeout: 120, env: { SVMTEST_ALLOW_GUEST_PANIC: '1' } });
  await lab.waitForSsh(240_000);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await lab?.stop();
});

const readRunFile = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
const statuses = (run: RunFile) => run.tests.map((t) => [t.name, t.status] as const).sort();

describe('svmtest run --target ssh (a QEMU guest with sshd as the DUT)', () => {
  it('runs the real test program on the DUT with results identical to a host run', async () => {
    const config = writeConfig(dir, {}, { ssh: lab.sshConfig({ boot: 'none' }) });
    const filters = ['-f', 'fixture/Basic*', '-f', 'fixture/Crash*', '-f', 'fixture/Gen*', '-f', 'fixture/Output.FakeMarkers'];
    const hostOut = join(dir, 'host');
    const dutOut = join(dir, 'dut');
    await svmtest(['run', '-c', config, '--suite-file', suite, '-o', hostOut, ...filters]);
    const r = await svmtest(['run', '-c', config, '--suite-file', suite, '-o', dutOut, '--target', 'ssh', ...filters]);
    console.log(r.stderr, r.stdout);
    expect(r.exitCode, r.stderr).toBe(1);
    const dut = readRunFile(dutOut);
    expect(dut.run.target).toBe('ssh');
    expect(dut.run.environment.kernelRelease).toBe(lab.release);
    expect(statuses(dut)).toEqual(statuses(readRunFile(hostOut)));
  }, 300_000);
});

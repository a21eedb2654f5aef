import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RemoteRecorder } from '../../src/engine/remote-recorder.js';
import { decodeEcho, encodeEcho } from '../../src/model/record-echo.js';
import { SILENT_PROGRESS } from '../../src/model/progress.js';
import type { RunInfo } from '../../src/model/run.js';
import { inJobRequest, runFlagsOf } from '../../src/pipeline/run-request.js';
import { jobDefinition } from '../../src/targets/lava/job-definition.js';
import { failureOf, logEntry } from '../../src/targets/lava/job-log.js';
import { lavaSection } from '../../src/targets/lava/lava-config.js';
import { tempDir } from '../helpers/cli.js';

const NONCE = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);

const info: RunInfo = {
  id: 'r1',
  variant: 'gpusvm',
  target: 'host',
  startedAt: '2026-12-01T00:00:00.000Z',
  status: 'incomplete',
  environment: { gpus: [], kernelRelease: '6.1.0' },
  toolVersion: '0.1.0',
};
const test = (name: string, status: 'pass' | 'fail') => ({
  type: 'test',
  test: { suite: 'fixture', name, status, durationMs: 3, attempts: [{ status, durationMs: 3 }], kernelEvents: [] },
});

function recorder() {
  const root = tempDir('svmtest-remote-');
  const paths = { root, journal: join(root, 'journal.jsonl'), runFile: join(root, 'run.json') };
  return { paths, rec: new RemoteRecorder(paths, SILENT_PROGRESS) };
}

describe('the record echo of a run inside a lab job', () => {
  it('survives what a console log does to a line (quotes escaped, escape characters dropped) and says when a line was damaged', () => {
    const line = encodeEcho(NONCE, 3, 'J', '{"type":"test","a":"\\u001b[31m"}');
    expect(line).not.toMatch(/["\x1b]/);
    expect(decodeEcho(`/ # [6n${line}`)).toEqual({ nonce: NONCE, seq: 3, kind: 'J', payload: '{"type":"test","a":"\\u001b[31m"}' });
    const mangled = `${line.slice(0, -6)}AAAA${line.slice(-2)}`;
    expect(decodeEcho(mangled)).toEqual({ damaged: true, nonce: NONCE });
    expect(decodeEcho('[  2.0] amdgpu: ring gfx timeout')).toBeUndefined();
  });

  it("journals only the job's own nonce, named by the first line before any test; a forged or damaged line changes nothing", () => {
    const { paths, rec } = recorder();
    rec.line(encodeEcho(OTHER, 1, 'J', JSON.stringify(test('Forged.BeforeStart', 'pass')))); // before the start line: ignored
    rec.line(encodeEcho(NONCE, 0, 'S', '0.1.0'));
    rec.line(encodeEcho(OTHER, 0, 'S', '0.1.0')); // a second start line names no new nonce
    rec.line(encodeEcho(NONCE, 1, 'J', JSON.stringify({ type: 'run', run: info })));
    rec.line(
      encodeEcho(
        NONCE,
        2,
        'J',
        JSON.stringify({
          type: 'plan',
          tests: [
            { suite: 'fixture', name: 'A' },
            { suite: 'fixture', name: 'B' },
          ],
        }),
      ),
    );
    rec.line(encodeEcho(OTHER, 3, 'J', JSON.stringify(test('B', 'pass')))); // forged: another nonce
    rec.line(encodeEcho(NONCE, 3, 'J', JSON.stringify(test('A', 'fail'))));
    rec.line(encodeEcho(NONCE, 4, 'J', '{"type":"nonsense"}'));
    rec.line(encodeEcho(NONCE, 5, 'L', 'logs/../../etc/passwd\t0\tAAAA')); // outside the run directory: refused
    rec.line(encodeEcho(NONCE, 6, 'L', `logs/fixture/A.log\t0\t${Buffer.from('it failed\n').toString('base64')}`));
    const journal = readFileSync(paths.journal, 'utf8').trim().split('\n');
    expect(journal.map((l) => JSON.parse(l).type)).toEqual(['run', 'plan', 'test']);
    expect(readFileSync(join(paths.root, 'logs/fixture/A.log'), 'utf8')).toBe('it failed\n');
    expect(existsSync(join(paths.root, '../../etc/passwd.svmtest'))).toBe(false);
    // The job ended without its run.json: assembled from the journal, B (planned, never reported) is notrun.
    const run = rec.finish(
      { id: '7', device: 'qemu-01' },
      { status: 'incomplete', error: { stage: 'lab job', message: 'job 7: Incomplete: lost' } },
      () => info,
      'fail',
      new Date(),
    );
    expect(run.run.status).toBe('incomplete');
    expect(run.run.jobs).toEqual([{ id: '7', device: 'qemu-01' }]);
    expect(run.tests.map((t) => [t.name, t.status])).toEqual([
      ['A', 'fail'],
      ['B', 'notrun'],
    ]);
    expect(run.errors).toContainEqual({ stage: 'lab job', message: 'job 7: Incomplete: lost' });
  });

  it("keeps the job's own run.json when it arrived whole, and its final journal replaces a streamed one that lost a line", () => {
    const { paths, rec } = recorder();
    const records = [{ type: 'run', run: info }, { type: 'plan', tests: [{ suite: 'fixture', name: 'A' }] }, test('A', 'pass')];
    rec.line(encodeEcho(NONCE, 0, 'S', '0.1.0'));
    rec.line(encodeEcho(NONCE, 1, 'J', JSON.stringify(records[0])));
    // seq 2 and 3 lost on the console
    const runFile = { schemaVersion: 1, run: { ...info, status: 'complete', finishedAt: '2026-12-01T00:01:00.000Z' }, tests: [records[2]!.test], errors: [] };
    rec.line(encodeEcho(NONCE, 4, 'R', JSON.stringify(runFile)));
    for (const [i, r] of records.entries()) rec.line(encodeEcho(NONCE, 5 + i, 'F', JSON.stringify(r)));
    rec.line(encodeEcho(NONCE, 8, 'E', '3'));
    const run = rec.finish({ id: '8' }, {}, () => info, 'fail', new Date());
    expect(run.run.status).toBe('complete');
    expect(run.run.jobs).toEqual([{ id: '8' }]);
    expect(readFileSync(paths.journal, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});

describe('LAVA job definitions', () => {
  const section = lavaSection.parse({ url: 'https://lava.example.org/', tags: ['mi300x'], priority: 80 });
  const artifacts = { kernel: 'https://files/k', ramdisk: 'https://files/r.cpio' };

  it('QEMU devices: the kernel with its command line, the initramfs with LAVA overlay; every step a string', () => {
    const job = parse(
      jobDefinition({ name: 'svmtest gpusvm', section, artifacts, cmdline: ['console=ttyS0,115200', 'amdgpu.noretry=0'], steps: ['true'] }),
    ) as {
      tags: string[];
      priority: number;
      actions: Array<{
        deploy?: { images: { kernel: { image_arg: string }; ramdisk: { overlays: unknown } } };
        test?: { definitions: Array<{ repository: { run: { steps: unknown[] } } }> };
      }>;
    };
    expect(job.tags).toEqual(['mi300x']);
    expect(job.priority).toBe(80);
    expect(job.actions[0]!.deploy!.images.kernel.image_arg).toBe('-kernel {kernel} -append "console=ttyS0,115200 amdgpu.noretry=0"');
    expect(job.actions[0]!.deploy!.images.ramdisk.overlays).toEqual({ lava: true });
    expect(job.actions[2]!.test!.definitions[0]!.repository.run.steps).toEqual(['true']);
  });

  it("a board's own deploy and boot, with {kernel} and {ramdisk} filled in", () => {
    const board = lavaSection.parse({
      deviceType: 'mi300x',
      deploy: { to: 'tftp', kernel: { url: '{kernel}' }, ramdisk: { url: '{ramdisk}' } },
      boot: { method: 'ipxe' },
    });
    const job = parse(jobDefinition({ name: 'n', section: board, artifacts, cmdline: [], steps: [] })) as {
      context?: unknown;
      actions: Array<Record<string, unknown>>;
    };
    expect(job.actions[0]).toEqual({ deploy: { to: 'tftp', kernel: { url: 'https://files/k' }, ramdisk: { url: 'https://files/r.cpio' } } });
    expect(job.actions[1]).toEqual({ boot: { method: 'ipxe' } });
    expect(job.context).toBeUndefined();
  });

  it("reads LAVA's log lines and the error of an incomplete job", () => {
    expect(logEntry('- {"dt": "2026-12-01T05:54:17.41", "lvl": "target", "msg": "v20.20.2"}')).toEqual({ level: 'target', message: 'v20.20.2' });
    const result = logEntry(
      '- {"dt": "x", "lvl": "results", "msg": {"case": "job", "result": "fail", "extra": {"error_msg": "login-action timed out"}, "endtc": ! "576"}}',
    );
    expect(failureOf([logEntry('- {"dt": "x", "lvl": "error", "msg": "an early error"}')!, result!])).toBe('login-action timed out');
    expect(logEntry('not a log line')).toBeUndefined();
  });

  it('the engine in a job is asked what to run, never how to reach a machine', () => {
    const request = inJobRequest(
      {
        config: '/c.yaml',
        variant: 'gpusvm',
        target: 'lava',
        suiteFiles: ['/s.yaml'],
        filters: ['fixture/Basic.*'],
        retries: 1,
        isolate: true,
        kernel: '/bzImage',
        targetFlags: { lavaUrl: 'https://lava/' },
      },
      { index: 2, total: 4 },
    );
    expect(runFlagsOf(request)).toEqual([
      '--config',
      '/c.yaml',
      '--variant',
      'gpusvm',
      '--suite-file',
      '/s.yaml',
      '--filter',
      'fixture/Basic.*',
      '--retries',
      '1',
      '--isolate',
      '--shard',
      '2/4',
    ]);
    expect(request.target).toBe('host');
  });
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KcidbDocument } from '../../src/reporters/kcidb.js';
import { STATUSES } from '../../src/model/status.js';
import { svmtest, tempDir } from '../helpers/cli.js';
import { HOSTILE_NAMES } from '../helpers/hostile.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { makeRun, result } from '../helpers/runs.js';
import { freshStore } from '../helpers/stores.js';

// The export is checked against KernelCI's own kcidb I/O 5.3 schema (read from ../shared/schemas,
// never copied into the project) with ajv, on hostile names and every status.
const SCHEMA = process.env.SVMTEST_KCIDB_SCHEMA ?? join(REPO_ROOT, '..', 'shared', 'schemas', 'kcidb-v5.3.schema.json');
let validate: (doc: unknown) => string[];
let dir: string;

beforeAll(() => {
  if (!existsSync(SCHEMA)) throw new Error(`the kcidb schema is not at ${SCHEMA}: put ../shared/schemas beside the checkout, or set SVMTEST_KCIDB_SCHEMA`);
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const check = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  validate = (doc) => (check(doc) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
  dir = tempDir('svmtest-kcidb-');
});

const ENV = {
  gpus: [{ node: 1, gfx: 'gfx942', name: 'MI300X', xnack: true }],
  kernelRelease: '6.18.0-gpusvm',
  hostname: 'mi300-lab-03',
  kernelBuild: { base: 'drm-next', baseCommit: 'a'.repeat(40), series: 'b'.repeat(64), key: 'k123' },
};
// Every status, names kcidb paths cannot hold as they are, and hostile text (names with NUL are refused before any export).
const NAMES = ['KFDSVMRangeTest.MigrateTest', 'Gen/ParamTest.Case/0', 'Unit_hipMalloc - Basic', ...HOSTILE_NAMES.filter((n) => !n.includes('\0'))];

function writeRun(name: string, variant: string, statusOf: (i: number) => (typeof STATUSES)[number], startedAt: string) {
  const run = makeRun(
    variant,
    NAMES.map((n, i) =>
      result('kfdtest', n, statusOf(i), {
        message: i % 2 === 0 ? `Expected: 1 == 2 ${n}` : undefined,
        log: `logs/kfdtest/${i}.log`,
        kernelEvents:
          i === 0
            ? [{ kind: 'gpu-page-fault', timestamp: 12.5, summary: 'amdgpu: [gfxhub] page fault (pasid:32769)', lines: ['amdgpu 0000:03:00.0: page fault'] }]
            : [],
      }),
    ),
    { environment: ENV, startedAt, finishedAt: startedAt.replace('T01', 'T02') },
  );
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(run));
  return file;
}

const readDoc = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as KcidbDocument;

describe('svmtest export kcidb', () => {
  it('a comparison: valid kcidb 5.3, every status mapped, unique paths, verdicts and kernel records in misc, log URLs by run id', async () => {
    const baseline = writeRun('legacy', 'legacy', () => 'pass', '2026-11-20T01:00:00.000Z');
    const candidate = writeRun('gpusvm', 'gpusvm', (i) => STATUSES[i % STATUSES.length]!, '2026-11-20T01:30:00.000Z');
    const out = join(dir, 'cmp');
    expect((await svmtest(['compare', baseline, candidate, '-o', out])).exitCode).toBe(1);
    const file = join(dir, 'comparison.kcidb.json');
    const r = await svmtest(['export', 'kcidb', join(out, 'comparison.json'), '--origin', 'amd_svm', '--links', 'https://ci.example/runs/', '-o', file]);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = readDoc(file);
    expect(validate(doc)).toEqual([]);
    expect(doc.version).toEqual({ major: 5, minor: 3 });
    expect(doc.checkouts).toHaveLength(1);
    expect(doc.checkouts[0]).toMatchObject({ git_commit_hash: 'a'.repeat(40), patchset_hash: 'b'.repeat(64), tree_name: 'drm-next', origin: 'amd_svm' });
    expect(doc.builds.map((b) => b.config_name)).toEqual(['legacy', 'gpusvm']);
    const tests = doc.tests.filter((t) => (t.misc as { role: string }).role === 'candidate');
    expect(tests).toHaveLength(NAMES.length);
    const byName = new Map(tests.map((t) => [(t.misc as { name: string }).name, t]));
    const mapping = { pass: 'PASS', fail: 'FAIL', crash: 'ERROR', timeout: 'ERROR', skip: 'SKIP', notrun: 'MISS' };
    for (const [i, n] of NAMES.entries()) expect(byName.get(n)?.status, n).toBe(mapping[STATUSES[i % STATUSES.length]!]);
    expect(new Set(doc.tests.filter((t) => t.build_id === tests[0]!.build_id).map((t) => t.path)).size).toBe(NAMES.length);
    expect(byName.get('KFDSVMRangeTest.MigrateTest')).toMatchObject({
      path: 'rocm.kfdtest.KFDSVMRangeTest.MigrateTest',
      duration: 0.001,
      start_time: '2026-11-20T01:30:00.000Z',
      environment: { comment: 'gfx942 on mi300-lab-03' },
      misc: { verdict: 'pass', kernel_events: [{ kind: 'gpu-page-fault', summary: 'amdgpu: [gfxhub] page fault (pasid:32769)' }] },
    });
    const runId = (doc.builds[1]!.id as string).split(':')[1]!;
    expect(byName.get('KFDSVMRangeTest.MigrateTest')!.log_url).toBe(`https://ci.example/runs/${runId}/logs/kfdtest/0.log`);
    expect((byName.get('Gen/ParamTest.Case/0')!.path as string).startsWith('rocm.kfdtest.Gen_ParamTest.Case_0.h')).toBe(true);
    expect((byName.get('Gen/ParamTest.Case/0')!.misc as { verdict: string }).verdict).toBe('regression');
  });

  it('a night of the history store exports the same way; a bad origin or a missing night is exit 2', async () => {
    const db = await freshStore('sqlite', dir);
    const legacy = writeRun('n-legacy', 'legacy', () => 'pass', '2026-11-21T01:00:00.000Z');
    const gpusvm = writeRun('n-gpusvm', 'gpusvm', (i) => (i === 1 ? 'crash' : 'pass'), '2026-11-21T01:30:00.000Z');
    const cmp = join(dir, 'n-cmp');
    await svmtest(['compare', legacy, gpusvm, '-o', cmp]);
    expect((await svmtest(['history', 'import', '--db', db, legacy, gpusvm, join(cmp, 'comparison.json')])).exitCode).toBe(0);
    const file = join(dir, 'night.kcidb.json');
    const r = await svmtest(['export', 'kcidb', '--db', db, '--night', '2026-11-21', '-o', file]);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = readDoc(file);
    expect(validate(doc)).toEqual([]);
    expect(doc.tests).toHaveLength(2 * NAMES.length);
    const crashed = doc.tests.find((t) => (t.misc as { name: string; role: string }).name === NAMES[1] && (t.misc as { role: string }).role === 'candidate')!;
    expect(crashed).toMatchObject({ status: 'ERROR', misc: { verdict: 'regression' } });
    const badOrigin = await svmtest(['export', 'kcidb', legacy, '--origin', 'Bad-Origin', '-o', join(dir, 'x.json')]);
    expect(badOrigin.exitCode).toBe(2);
    expect(badOrigin.stderr).toMatch(/--origin "Bad-Origin": expected lower-case letters, digits and _/);
    const noNight = await svmtest(['export', 'kcidb', '--db', db, '--night', '2026-01-01', '-o', join(dir, 'y.json')]);
    expect(noNight.exitCode).toBe(2);
    expect(noNight.stderr).toMatch(/no runs on the night of 2026-01-01/);
  });

  it('--submit posts the export with the token from the environment; the token never appears in output, even when the endpoint echoes it', async () => {
    const requests: Array<{ method?: string; url?: string; auth?: string; body: string }> = [];
    let answer = 200;
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        res.writeHead(answer, { 'content-type': 'text/plain' });
        res.end(answer === 200 ? 'ok' : `denied for ${req.headers.authorization}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/submit`;
    const run = writeRun('submit', 'gpusvm', () => 'pass', '2026-11-22T01:00:00.000Z');
    const token = 'kcidb-secret-token-1234';
    try {
      const file = join(dir, 'submitted.kcidb.json');
      const ok = await svmtest(['export', 'kcidb', run, '-o', file, '--submit', url], { env: { SVMTEST_KCIDB_TOKEN: token } });
      expect(ok.exitCode, ok.stderr).toBe(0);
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ method: 'POST', url: '/submit', auth: `Bearer ${token}` });
      expect(JSON.parse(requests[0]!.body)).toEqual(readDoc(file));
      expect(ok.stdout + ok.stderr).not.toContain(token);
      answer = 403;
      const denied = await svmtest(['export', 'kcidb', run, '-o', join(dir, 'denied.json'), '--submit', url], { env: { SVMTEST_KCIDB_TOKEN: token } });
      expect(denied.exitCode, denied.stderr).toBe(3);
      expect(denied.stderr).toMatch(/the endpoint answered 403: denied for Bearer \*\*\*/);
      expect(denied.stdout + denied.stderr).not.toContain(token);
      const noToken = await svmtest(['export', 'kcidb', run, '-o', join(dir, 'nt.json'), '--submit', url], { env: { SVMTEST_KCIDB_TOKEN: '' } });
      expect(noToken.exitCode).toBe(2);
      expect(noToken.stderr).toMatch(/\$SVMTEST_KCIDB_TOKEN is not set/);
      const plain = await svmtest(['export', 'kcidb', run, '-o', join(dir, 'pl.json'), '--submit', 'http://kcidb.example/submit'], {
        env: { SVMTEST_KCIDB_TOKEN: token },
      });
      expect(plain.exitCode).toBe(2);
      expect(plain.stderr).toMatch(/the token is sent only over https/);
    } finally {
      server.close();
    }
  });
});

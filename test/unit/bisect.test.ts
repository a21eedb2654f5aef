import { execa } from 'execa';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bisectLog, bisectMark, bisectReplay, bisectStart, headCommit, parseBisectOutput } from '../../src/build/git-bisect.js';
import { seriesProvenance } from '../../src/build/series.js';
import { judgeStep, missedFailureChance, wantsAnotherRun } from '../../src/compare/bisect-verdict.js';
import { type BisectFile, type BisectRun, type BisectStep, loreLink } from '../../src/model/bisect.js';
import { isWorkflowCommand } from '../../src/model/untrusted-text.js';
import { appendRecord, replayBisect } from '../../src/pipeline/bisect/bisect-journal.js';
import { resumeBisectRequest } from '../../src/pipeline/bisect/bisect-request.js';
import { bisectJunit, bisectMarkdown, bisectTerminal } from '../../src/reporters/bisect.js';
import { HOSTILE } from '../helpers/hostile.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'svmtest-bisect-unit-'));
const run = (index: number, ...statuses: Array<BisectRun['tests'][number]['status']>): BisectRun => ({
  index,
  dir: `steps/x/run-${index}`,
  bootMs: 100,
  tests: statuses.map((status, i) => ({ id: `s/T${i}`, status })),
});

describe('deciding a bisect step', () => {
  it('any fail, crash or timeout of a named test is bad; N passes good; a run that could not test the commit is a skip', () => {
    expect(judgeStep([run(1, 'pass'), run(2, 'pass'), run(3, 'pass')], 3).verdict).toBe('good');
    expect(judgeStep([run(1, 'pass'), run(2, 'fail')], 3)).toMatchObject({ verdict: 'bad', failedRuns: 1, testedRuns: 2 });
    expect(judgeStep([run(1, 'pass', 'crash')], 3).reason).toBe('s/T1: crash in run 1');
    expect(judgeStep([run(1, 'timeout')], 3).verdict).toBe('bad');
    expect(judgeStep([{ ...run(1), error: 'boot: the guest did not come up' }], 3)).toMatchObject({
      verdict: 'skip',
      reason: 'boot: the guest did not come up',
    });
    expect(judgeStep([run(1, 'missing')], 3)).toMatchObject({ verdict: 'skip', reason: 's/T0 did not run (not found)' });
    expect(judgeStep([run(1, 'skip')], 3).verdict).toBe('skip');
    expect(judgeStep([run(1, 'pass')], 3)).toMatchObject({ verdict: 'skip', reason: 'only 1 of 3 runs finished' });
  });

  it('stops running at the first failing run, except at the bad end, where every run tells a flake from a regression', () => {
    expect(wantsAnotherRun([run(1, 'pass')], 3, false)).toBe(true);
    expect(wantsAnotherRun([run(1, 'fail')], 3, false)).toBe(false);
    expect(wantsAnotherRun([run(1, 'fail')], 3, true)).toBe(true);
    expect(wantsAnotherRun([run(1, 'pass'), run(2, 'pass'), run(3, 'pass')], 3, true)).toBe(false);
    expect(wantsAnotherRun([{ ...run(1), error: 'no boot' }], 3, true)).toBe(false);
  });

  it('says how likely N runs miss a failure of a flaky test', () => {
    expect(missedFailureChance(1, 3, 3)).toBeCloseTo((2 / 3) ** 3, 10);
    expect(missedFailureChance(3, 3, 3)).toBe(0);
  });
});

describe('git bisect, driven', () => {
  async function repo(commits: number): Promise<{ dir: string; shas: string[] }> {
    const dir = tmp();
    const g = (...args: string[]) =>
      execa('git', ['-C', dir, ...args], { env: { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@a', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@a' } });
    await g('init', '-q');
    const shas: string[] = [];
    for (let i = 0; i <= commits; i++) {
      writeFileSync(join(dir, 'f'), `${i}\n`);
      await g('add', 'f');
      await g('commit', '-q', '-m', `c${i}`);
      shas.push((await g('rev-parse', 'HEAD')).stdout.trim());
    }
    return { dir, shas };
  }

  it('finds the first bad commit, and a replayed log continues where the bisect stopped', async () => {
    const { dir, shas } = await repo(6);
    const firstBad = 4;
    let state = await bisectStart(dir, shas[6]!, shas[0]!);
    const log = join(tmp(), 'bisect.log');
    let marks = 0;
    while (state.kind === 'next') {
      expect(await headCommit(dir)).toBe(state.commit);
      const index = shas.indexOf(state.commit);
      state = await bisectMark(dir, index >= firstBad ? 'bad' : 'good');
      writeFileSync(log, await bisectLog(dir));
      if (++marks === 1 && state.kind === 'next') {
        // As after a kill: the log alone restores git's state.
        const replayed = await bisectReplay(dir, log);
        expect(replayed).toEqual(state);
      }
    }
    expect(state).toEqual({ kind: 'found', commit: shas[firstBad] });
    expect(marks).toBeLessThanOrEqual(3);
  });

  it('skips lead to the commits git could not separate', async () => {
    const { dir, shas } = await repo(3);
    let state = await bisectStart(dir, shas[3]!, shas[0]!);
    while (state.kind === 'next') {
      const index = shas.indexOf(state.commit);
      state = await bisectMark(dir, index === 2 ? 'skip' : index >= 2 ? 'bad' : 'good');
    }
    expect(state.kind).toBe('ambiguous');
    if (state.kind === 'ambiguous') expect([...state.candidates].sort()).toEqual([shas[2], shas[3]].sort());
  });

  it('reads git bisect output it does not know as nothing, never as a commit', () => {
    expect(parseBisectOutput('fatal: something else')).toBeUndefined();
  });
});

describe('the series and its links', () => {
  it('reads the cover letter: version, Message-Id, subject and the patch count', () => {
    const mbox = [
      'From x Mon Sep 17 00:00:00 2001',
      'Message-Id: <cover.1@example.org>',
      'Subject: [PATCH v8 00/18] drm/amdgpu: SVM on drm_gpusvm',
      '',
      'From y Mon Sep 17 00:00:00 2001',
      'Message-Id: <p1.1@example.org>',
      'Subject: [PATCH v8 01/18] drm/amdgpu: first',
      '',
    ].join('\n');
    expect(seriesProvenance([mbox])).toEqual({ patches: 1, version: 8, messageId: 'cover.1@example.org', subject: 'drm/amdgpu: SVM on drm_gpusvm' });
  });

  it('links a Message-Id on lore, and nothing that is not one', () => {
    expect(loreLink('20261201.1-1-dev@amd.com')).toBe('https://lore.kernel.org/r/20261201.1-1-dev@amd.com');
    expect(loreLink('a/b@c')).toBeUndefined();
    expect(loreLink('javascript:x')).toBeUndefined();
  });
});

describe('the journal and the request', () => {
  const info = { id: 'b1', outcome: 'running' } as unknown as BisectFile['bisect'];
  const step = (role: BisectStep['role'], commit: string): BisectStep => ({
    n: 0,
    role,
    commit: { commit, subject: 's', author: 'a', date: 'd', diffstat: '' },
    build: { ms: 1, cacheHit: true },
    runs: [run(1, 'pass')],
    verdict: 'good',
    finishedAt: 'now',
  });

  it('replays decided steps and the runs of a step in progress; a torn last line is cut off', () => {
    const file = join(tmp(), 'journal.jsonl');
    appendRecord(file, { type: 'start', info });
    appendRecord(file, { type: 'step', step: step('good-end', 'a'.repeat(40)) });
    appendRecord(file, { type: 'run', role: 'step', commit: 'c'.repeat(40), build: { ms: 5, cacheHit: false }, run: run(1, 'pass') });
    appendFileSync(file, '{"type":"run","role":"st');
    const replayed = replayBisect(file);
    expect(replayed.info?.id).toBe('b1');
    expect(replayed.steps.map((s) => s.role)).toEqual(['good-end']);
    expect(replayed.partial.get(`step ${'c'.repeat(40)}`)?.runs).toHaveLength(1);
    expect(readFileSync(file, 'utf8').endsWith('}\n')).toBe(true);
    appendRecord(file, { type: 'step', step: step('step', 'c'.repeat(40)) });
    const again = replayBisect(file);
    expect(again.steps).toHaveLength(2);
    expect(again.partial.size).toBe(0);
  });

  it('a resume given a flag that changes the bisect is refused, one that repeats it is fine', () => {
    const saved = { tests: ['s/T'], runs: 3, run: {} };
    expect(resumeBisectRequest(saved, { tests: ['s/T'], run: {} }, '/d')).toBe(saved);
    expect(() => resumeBisectRequest(saved, { tests: [], runs: 5, run: {} }, '/d')).toThrow(/--runs 5 contradicts the bisect being resumed \(3\)/);
  });
});

describe('bisect reports of hostile commits and tests', () => {
  const evil = Object.values(HOSTILE).join(' ');
  const commit = {
    commit: 'f'.repeat(40),
    subject: evil,
    author: `${HOSTILE.osc} <x@y>`,
    date: '2026-11-30',
    patch: 4,
    diffstat: `${HOSTILE.forgedError}\n 1 file changed`,
    messageId: 'm@x',
    lore: 'https://lore.kernel.org/r/m@x',
  };
  const failing: BisectRun = {
    index: 1,
    dir: 'steps/x/run-1',
    bootMs: 5000,
    tests: [
      {
        id: `s/${HOSTILE.newline}`,
        status: 'fail',
        message: evil,
        kernelEvents: [{ kind: 'gpu-page-fault', timestamp: 1, summary: `${HOSTILE.stopCommands} fault`, lines: [HOSTILE.cdataEnds] }],
      },
    ],
  };
  const file: BisectFile = {
    schemaVersion: 1,
    bisect: {
      id: 'b',
      variant: 'gpusvm',
      target: 'qemu',
      tests: [`s/${HOSTILE.addMask}`],
      runs: 3,
      good: { ...commit, patch: undefined as unknown as number },
      bad: commit,
      commits: 6,
      maxSteps: 4,
      repo: '/r',
      startedAt: 'x',
      outcome: 'found',
      message: evil,
    },
    steps: [
      { n: 2, role: 'step', commit, build: { ms: 20_000, cacheHit: false, makeMs: 19_000 }, runs: [failing], verdict: 'bad', reason: evil, finishedAt: 'x' },
    ],
    firstBad: commit,
  };

  it('terminal: no escape sequence, no line a CI runner would read as a workflow command', () => {
    const text = bisectTerminal(file);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(text.split('\n').filter(isWorkflowCommand)).toEqual([]);
    expect(text).toContain('first bad commit: ffffffffffff');
    expect(text).toContain('gpu-page-fault');
  });

  it('Markdown: markup escaped, the lore link kept', () => {
    const md = bisectMarkdown(file);
    expect(md).toContain('[m@x](https://lore.kernel.org/r/m@x)');
    expect(md.split('\n').filter(isWorkflowCommand)).toEqual([]);
    expect(md).not.toContain('\x1b');
  });

  it('JUnit: valid XML, the bad step a failure, the first bad commit a property', () => {
    const xml = bisectJunit(file);
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml);
    expect(JSON.stringify(parsed)).toContain('f'.repeat(40));
    expect(xml).toContain('<failure');
  });
});

describe("a commit's description", () => {
  it('keeps a diffstat of at most 50 files with the totals: a base commit that imports a whole tree stays small', async () => {
    const repo = tmp();
    await execa('git', ['init', '-q', repo]);
    for (let i = 0; i < 80; i++) writeFileSync(join(repo, `file-${i}.c`), `int f${i};\n`);
    const env = { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@a', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@a' };
    await execa('git', ['-C', repo, 'add', '.'], { env });
    await execa('git', ['-C', repo, 'commit', '-q', '-m', 'import the tree'], { env });
    const { describeCommit } = await import('../../src/build/bisect-worktree.js');
    const described = await describeCommit(repo, 'HEAD');
    const lines = described.diffstat.split('\n');
    expect(lines.length).toBeLessThanOrEqual(52);
    expect(lines.at(-1)).toMatch(/^ 80 files changed, 80 insertions\(\+\)$/);
    expect(described.subject).toBe('import the tree');
  });
});

import { execa } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dependencies, describeProblem, unmetSymbols, verifyKconfig } from '../../src/build/kconfig.js';
import { applySeries, loadSeries } from '../../src/build/series.js';
import { tempDir } from '../helpers/cli.js';

const g = (cwd: string, ...args: string[]) =>
  execa('git', ['-C', cwd, ...args], { env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

/** A small real git repository with a base and a two-patch series made with git format-patch. */
async function makeRepo(): Promise<{ repo: string; mbox: string; dir: string }> {
  const dir = tempDir('svmtest-git-');
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'drivers'), { recursive: true });
  await execa('git', ['init', '-q', repo]);
  writeFileSync(join(repo, 'Kconfig'), 'config DRM_AMDGPU\n\tbool "amdgpu"\n');
  writeFileSync(join(repo, 'drivers', 'svm.c'), 'int svm(void) { return 0; }\n');
  await g(repo, 'add', '-A');
  await g(repo, 'commit', '-q', '-m', 'base');
  await g(repo, 'tag', 'base');
  await g(repo, 'checkout', '-q', '-b', 'series');
  writeFileSync(
    join(repo, 'Kconfig'),
    'config DRM_AMDGPU\n\tbool "amdgpu"\n\nconfig DRM_AMDGPU_SVM\n\tbool "SVM on drm_gpusvm"\n\tdepends on DRM_AMDGPU && DEVICE_PRIVATE\n',
  );
  await g(repo, 'commit', '-q', '-am', 'drm/amdgpu: add CONFIG_DRM_AMDGPU_SVM');
  writeFileSync(join(repo, 'drivers', 'svm.c'), 'int svm(void) { return 1; }\n');
  await g(repo, 'commit', '-q', '-am', 'drm/amdgpu: use drm_gpusvm for SVM ranges');
  const mbox = join(dir, 'series.mbox');
  writeFileSync(mbox, (await g(repo, 'format-patch', '--stdout', 'base..series')).stdout);
  await g(repo, 'checkout', '-q', 'base');
  return { repo, mbox, dir };
}

describe('kernel series', () => {
  let fixture: { repo: string; mbox: string; dir: string };
  beforeAll(async () => {
    fixture = await makeRepo();
  });

  it('applies a format-patch mbox with git am --3way in a worktree, leaving the checkout untouched', async () => {
    const series = await loadSeries([{ mbox: 'series.mbox' }], fixture.repo, fixture.dir);
    const wt = join(fixture.dir, 'wt1');
    await g(fixture.repo, 'worktree', 'add', '--detach', wt, 'base');
    expect(await applySeries(wt, series)).toBe(2);
    expect(readFileSync(join(wt, 'drivers', 'svm.c'), 'utf8')).toContain('return 1');
    expect(readFileSync(join(fixture.repo, 'drivers', 'svm.c'), 'utf8')).toContain('return 0');
    const fromRange = await loadSeries([{ git: 'base..series' }], fixture.repo, fixture.dir);
    expect(fromRange.mboxes[0]).toContain('Subject: [PATCH 1/2] drm/amdgpu: add CONFIG_DRM_AMDGPU_SVM');
  });

  it('a patch that does not apply names its number, subject and the conflicting files', async () => {
    const wt = join(fixture.dir, 'wt2');
    await g(fixture.repo, 'worktree', 'add', '--detach', wt, 'base');
    writeFileSync(join(wt, 'drivers', 'svm.c'), 'int svm(void) { return 42; } /* upstream moved */\n');
    await g(wt, 'commit', '-q', '-am', 'upstream change');
    const series = await loadSeries([{ mbox: 'series.mbox' }], fixture.repo, fixture.dir);
    await expect(applySeries(wt, series)).rejects.toThrow(
      /patch 2\/2 "drm\/amdgpu: use drm_gpusvm for SVM ranges" does not apply to the pinned base; conflicting files: drivers\/svm.c/,
    );
    expect((await g(wt, 'status', '--porcelain')).stdout).toBe(''); // am --abort left it clean
  });

  it('a missing mbox or bad range is a clear input error; b4 without network says what to do', async () => {
    await expect(loadSeries([{ mbox: 'nope.mbox' }], fixture.repo, fixture.dir)).rejects.toThrow(/series mbox nope.mbox: no such file/);
    await expect(loadSeries([{ git: 'nosuch..branch' }], fixture.repo, fixture.dir)).rejects.toThrow(/series git nosuch..branch: not a commit range/);
    await expect(loadSeries([{ b4: '20260612090928.29682-1-ray.huang@amd.com' }], fixture.repo, fixture.dir)).rejects.toThrow(
      /b4 (is not installed|could not fetch it)/,
    );
  });

  it('names the option that olddefconfig dropped and the dependency that was not met', () => {
    const deps = dependencies(fixture.dir + '/wt1', ['DRM_AMDGPU_SVM']);
    expect(deps.get('DRM_AMDGPU_SVM')).toBe('(DRM_AMDGPU && DEVICE_PRIVATE)');
    const result = new Map([['DRM_AMDGPU', 'y']]);
    const problems = verifyKconfig(
      new Map([
        ['DRM_AMDGPU_SVM', 'y'],
        ['DRM_AMDGPU', 'y'],
      ]),
      result,
      join(fixture.dir, 'wt1'),
    );
    expect(problems.map(describeProblem)).toEqual([
      'CONFIG_DRM_AMDGPU_SVM=y was requested but the resulting config has CONFIG_DRM_AMDGPU_SVM=n: it depends on (DRM_AMDGPU && DEVICE_PRIVATE), and CONFIG_DEVICE_PRIVATE is not set',
    ]);
    expect(unmetSymbols('X86 && !UML && (PCI || ACPI)', new Map([['X86', 'y']]))).toEqual(['PCI', 'ACPI']);
  });
});

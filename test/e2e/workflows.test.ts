import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tempDir } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';

// actionlint is not packaged for Debian 12; @action-validator checks against GitHub's published schemas.
const validator = join(REPO_ROOT, 'node_modules', '.bin', 'action-validator');
const validate = (file: string) => execa(validator, [file], { reject: false });

describe('GitHub Actions files', () => {
  it('the nightly workflow and the composite action validate against the schemas', async () => {
    for (const file of ['.github/workflows/nightly-amd.yml', 'action.yml']) {
      const r = await validate(join(REPO_ROOT, file));
      expect(r.exitCode, `${file}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('the validator does reject a broken workflow', async () => {
    const bad = join(tempDir(), 'bad.yml');
    writeFileSync(bad, 'name: broken\non: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps: notalist\n');
    expect((await validate(bad)).exitCode).not.toBe(0);
  });

  it('the nightly shards every variant on every GPU family, uploads each run, then merges and compares', () => {
    const wf = parse(readFileSync(join(REPO_ROOT, '.github/workflows/nightly-amd.yml'), 'utf8')) as {
      jobs: Record<
        string,
        { needs?: string; strategy?: { matrix: Record<string, unknown[]> }; steps: Array<{ uses?: string; with?: Record<string, string> }> }
      >;
    };
    const run = wf.jobs.run!;
    expect(Object.keys(run.strategy!.matrix).sort()).toEqual(['gfx', 'shard', 'variant']);
    expect(run.strategy!.matrix.variant).toEqual(['legacy', 'gpusvm']);
    expect(run.steps.some((s) => s.uses?.startsWith('actions/upload-artifact'))).toBe(true);
    const commands = wf.jobs.verdict!.steps.map((s) => s.with?.command ?? '');
    expect(wf.jobs.verdict!.needs).toBe('run');
    expect(commands.filter((c) => c.startsWith('merge '))).toHaveLength(2);
    expect(commands.find((c) => c.startsWith('compare '))).toMatch(/--reporter terminal,junit,markdown,github/);
    expect(commands.find((c) => c.startsWith('history import '))).toBe('history import merged/legacy merged/gpusvm verdict/comparison.json');
  });

  it('the nightly builds the dashboard from the store and deploys it to Pages; the store URL comes from a secret', () => {
    const wf = parse(readFileSync(join(REPO_ROOT, '.github/workflows/nightly-amd.yml'), 'utf8')) as {
      jobs: Record<string, { needs?: string; env?: Record<string, string>; steps: Array<{ uses?: string; with?: Record<string, string> }> }>;
    };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JavaScript template
    for (const job of ['verdict', 'dashboard']) expect(wf.jobs[job]!.env?.SVMTEST_HISTORY_DB).toBe('${{ secrets.SVMTEST_HISTORY_DB }}');
    const dashboard = wf.jobs.dashboard!;
    expect(dashboard.needs).toBe('verdict');
    expect(dashboard.steps.map((s) => s.with?.command ?? '')).toContain('dashboard --nights 90 -o site');
    expect(dashboard.steps.some((s) => s.uses?.startsWith('actions/upload-pages-artifact') && s.with?.path === 'site/')).toBe(true);
    expect(wf.jobs.publish!.steps.some((s) => s.uses?.startsWith('actions/deploy-pages'))).toBe(true);
  });

  it('a lab job drives a DUT over SSH with its key and host key from secrets, never on a command line', () => {
    const text = readFileSync(join(REPO_ROOT, '.github/workflows/nightly-amd.yml'), 'utf8');
    const wf = parse(text) as {
      jobs: Record<string, { env?: Record<string, string>; steps: Array<{ run?: string; env?: Record<string, string>; with?: Record<string, string> }> }>;
    };
    const lab = wf.jobs['lab-dut']!;
    const commands = lab.steps.map((s) => s.with?.command ?? '');
    expect(commands.find((c) => c.startsWith('ci '))).toMatch(/--target ssh .*--ssh-identity .*\/dut_key .*UserKnownHostsFile=/);
    expect(commands.some((c) => c.startsWith('doctor --target ssh'))).toBe(true);
    // Secrets only through env, written to files with a private umask; none in a with: command.
    for (const c of commands) expect(c).not.toMatch(/secrets\./);
    const keyStep = lab.steps.find((s) => s.env?.DUT_SSH_KEY)!;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JavaScript template
    expect(keyStep.env!.DUT_SSH_KEY).toBe('${{ secrets.LAB_DUT_SSH_KEY }}');
    expect(keyStep.run).toMatch(/umask 077/);
    expect(keyStep.run).not.toMatch(/set -x|echo "\$DUT/);
  });
});

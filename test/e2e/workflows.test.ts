import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseActionArgs } from '../../src/cli/action-args.js';
import type { RunFile } from '../../src/model/run.js';
import { tempDir } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';
import { writeConfig, writeSuiteFile } from '../helpers/suite-files.js';

// actionlint is not packaged for Debian 12; @action-validator checks against GitHub's published schemas.
const validator = join(REPO_ROOT, 'node_modules', '.bin', 'action-validator');
const validate = (file: string) => execa(validator, [file], { reject: false });

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  'continue-on-error'?: boolean;
}
interface Job {
  needs?: string | string[];
  env?: Record<string, string>;
  concurrency?: { group: string };
  strategy?: { matrix: Record<string, unknown> };
  steps: Step[];
}
const workflow = () => parse(readFileSync(join(REPO_ROOT, '.github/workflows/nightly-amd.yml'), 'utf8')) as { jobs: Record<string, Job> };
const action = () => parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as { runs: { steps: Step[] } };
/** The svmtest argument vectors a job's action steps pass (GitHub expressions left as written). */
const argvs = (job: Job) => job.steps.filter((s) => s.uses === './').map((s) => parseActionArgs(s.with!.args!));
const line = (argv: string[]) => argv.join(' ');

/** Runs a `run:` script with bash as the runner does, with a GITHUB_OUTPUT file; returns the exit and the outputs. */
async function runStep(script: string, env: Record<string, string>, cwd = REPO_ROOT) {
  const dir = tempDir('svmtest-step-');
  const output = join(dir, 'output');
  writeFileSync(output, '');
  const r = await execa('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, reject: false, env: { GITHUB_OUTPUT: output, ...env }, extendEnv: true });
  return { r, output: readFileSync(output, 'utf8') };
}

/** GITHUB_OUTPUT's `name=value` and `name<<EOF … EOF` entries. */
function outputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([\w-]+)<<(\w+)$/.exec(lines[i]!);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (lines[i]!.includes('=')) out[lines[i]!.slice(0, lines[i]!.indexOf('='))] = lines[i]!.slice(lines[i]!.indexOf('=') + 1);
  }
  return out;
}

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
    const wf = workflow();
    const run = wf.jobs.run!;
    expect(Object.keys(run.strategy!.matrix).sort()).toEqual(['gfx', 'shard', 'variant']);
    expect(run.strategy!.matrix.variant).toEqual(['legacy', 'gpusvm']);
    expect(run.steps.some((s) => s.uses?.startsWith('actions/upload-artifact'))).toBe(true);
    expect(wf.jobs.verdict!.needs).toContain('run');
    const commands = argvs(wf.jobs.verdict!).map(line);
    expect(commands.find((c) => c.startsWith('compare '))).toMatch(/--reporter terminal,junit,markdown,github/);
    expect(commands.find((c) => c.startsWith('history import '))).toBe('history import merged/legacy merged/gpusvm verdict/comparison.json');
  });

  it('the shards input decides the matrix and the merge: derived, never hard-coded', async () => {
    const wf = workflow();
    const plan = wf.jobs.plan!.steps.find((s) => s.id === 'shards')!;
    const three = await runStep(plan.run!, { SHARDS: '3' });
    expect(three.r.exitCode, three.r.stderr).toBe(0);
    expect(outputs(three.output)).toEqual({ count: '3', list: '[1,2,3]' });
    for (const bad of ['abc', '0', '33', '2/4', '']) {
      const refused = await runStep(plan.run!, { SHARDS: bad });
      expect(refused.r.exitCode, `shards "${bad}"`).not.toBe(0);
      expect(refused.r.stdout).toMatch(/::error::shards/);
    }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JavaScript template
    expect(wf.jobs.run!.strategy!.matrix.shard).toBe('${{ fromJSON(needs.plan.outputs.list) }}');
    const runArgs = argvs(wf.jobs.run!)[0]!;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions
    expect(runArgs[runArgs.indexOf('--shard') + 1]).toBe('${{ matrix.shard }}/${{ needs.plan.outputs.count }}');
    const merge = wf.jobs.verdict!.steps.find((s) => s.id === 'shards')!;
    const made = await runStep(merge.run!, { COUNT: '3', GFX: 'gfx90a' });
    expect(made.r.exitCode, made.r.stderr).toBe(0);
    const merges = outputs(made.output);
    expect(parseActionArgs(merges.legacy!)).toEqual(['merge', 'runs/gfx90a-legacy-1', 'runs/gfx90a-legacy-2', 'runs/gfx90a-legacy-3', '-o', 'merged/legacy']);
    expect(parseActionArgs(merges.gpusvm!)).toEqual(['merge', 'runs/gfx90a-gpusvm-1', 'runs/gfx90a-gpusvm-2', 'runs/gfx90a-gpusvm-3', '-o', 'merged/gpusvm']);
  });

  it('regressions (exit 1) go on to the merge and the reports; usage and infrastructure failures fail the job', () => {
    const wf = workflow();
    for (const [name, job] of Object.entries(wf.jobs)) for (const s of job.steps) expect(s['continue-on-error'], `${name}: ${s.name}`).toBeUndefined();
    const runStep = wf.jobs.run!.steps.find((s) => s.uses === './')!;
    expect(runStep.with!['ok-exit-codes']).toBe('0 1');
  });

  it('the nightly builds the dashboard from the store and deploys it to Pages; the store URL goes only to the steps that use it', () => {
    const wf = workflow();
    for (const [name, job] of Object.entries(wf.jobs)) expect(job.env, `job ${name} has a job-level environment`).toBeUndefined();
    const secretSteps = Object.values(wf.jobs).flatMap((j) =>
      j.steps.filter((s) => Object.values(s.env ?? {}).some((v) => v.includes('secrets.SVMTEST_HISTORY_DB'))),
    );
    // every step given the store is an svmtest history/dashboard step
    for (const s of secretSteps) expect(parseActionArgs(s.with!.args!)[0]).toMatch(/^(history|dashboard)$/);
    expect(secretSteps.length).toBe(4);
    const dashboard = wf.jobs.dashboard!;
    expect(dashboard.needs).toContain('verdict');
    expect(argvs(dashboard).map(line)).toContain('dashboard --nights 90 --runs published -o site');
    expect(dashboard.steps.filter((s) => s.uses?.startsWith('actions/download-artifact')).map((s) => s.with?.path)).toEqual(['published/', 'published/']);
    expect(dashboard.steps.some((s) => s.uses?.startsWith('actions/upload-pages-artifact') && s.with?.path === 'site/')).toBe(true);
    expect(wf.jobs.publish!.steps.some((s) => s.uses?.startsWith('actions/deploy-pages'))).toBe(true);
  });

  it('a lab job drives a DUT over SSH with its key and host key from secrets, one workflow per DUT, and records its night', () => {
    const wf = workflow();
    const lab = wf.jobs['lab-dut']!;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JavaScript template
    expect(lab.concurrency?.group).toBe('svmtest-dut-${{ matrix.dut }}');
    const commands = argvs(lab).map(line);
    expect(commands.find((c) => c.startsWith('ci '))).toMatch(/--target ssh .*--ssh-identity .*\/dut_key .*UserKnownHostsFile=/);
    expect(commands.some((c) => c.startsWith('doctor --target ssh'))).toBe(true);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JavaScript template
    expect(commands).toContain('history import lab/${{ matrix.dut }}');
    for (const c of commands) expect(c).not.toMatch(/secrets\./);
    const keyStep = lab.steps.find((s) => s.env?.DUT_SSH_KEY)!;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JavaScript template
    expect(keyStep.env!.DUT_SSH_KEY).toBe('${{ secrets.LAB_DUT_SSH_KEY }}');
    expect(keyStep.run).toMatch(/umask 077/);
    expect(keyStep.run).not.toMatch(/set -x|echo "\$DUT/);
    // The BMC password goes to the one step that powers the DUT.
    const bmc = lab.steps.filter((s) => s.env?.IPMI_PASSWORD);
    expect(bmc.map((s) => parseActionArgs(s.with!.args!)[0])).toEqual(['ci']);
  });
});

describe("the composite action's shell steps, run on real arguments", () => {
  let dir: string;
  let config: string;
  let suite: string;
  beforeAll(async () => {
    const program = await gtestProgram();
    dir = tempDir('svmtest-action-');
    config = writeConfig(dir);
    suite = writeSuiteFile(dir, { name: 'fixture', kind: 'gtest', command: [program], timeout: 30 });
  }, SETUP_TIMEOUT_MS);

  const step = (name: string) => action().runs.steps.find((s) => s.name === name)!;
  const runAction = (args: string, extra: Record<string, string> = {}) =>
    runStep(
      step('Run svmtest').run!,
      { GITHUB_ACTION_PATH: REPO_ROOT, SVMTEST_ARGS: args, SVMTEST_CONFIG: config, SVMTEST_OK_EXIT_CODES: '0', NO_COLOR: '1', ...extra },
      dir,
    );

  it('a filter with shell metacharacters reaches svmtest as one argument, unquoted and unexpanded', async () => {
    const out = join(dir, '$(touch pwned) *');
    const { r, output } = await runAction(['run', '--target', 'host', '--suite-file', suite, '--filter', 'fixture/Basic.Pass*', '-o', out].join('\n'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(outputs(output)['exit-code']).toBe('0');
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunFile;
    expect(run.tests.map((t) => t.name)).toEqual(['Basic.Passes']);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  }, 60_000);

  it('a JSON array works the same; a malformed one is refused with exit 2', async () => {
    const out = join(dir, 'json');
    const ok = await runAction(JSON.stringify(['run', '--target', 'host', '--suite-file', suite, '-f', 'fixture/Basic.Passes', '-o', out]));
    expect(ok.r.exitCode, ok.r.stderr).toBe(0);
    const bad = await runAction('["run", 3]');
    expect(bad.r.exitCode).toBe(2);
    expect(bad.r.stderr).toMatch(/input args: a JSON array must hold only strings/);
  }, 60_000);

  it('ok-exit-codes "0 1" lets regressions through and names the real code; other codes fail the step', async () => {
    const args = ['run', '--target', 'host', '--suite-file', suite, '-f', 'fixture/Basic.Fails', '-o', join(dir, 'fails')].join('\n');
    const strict = await runAction(args);
    expect(strict.r.exitCode).toBe(1);
    expect(outputs(strict.output)['exit-code']).toBe('1');
    const lenient = await runAction(args.replace('/fails', '/fails2'), { SVMTEST_OK_EXIT_CODES: '0 1' });
    expect(lenient.r.exitCode).toBe(0);
    expect(outputs(lenient.output)['exit-code']).toBe('1');
    const usage = await runAction(['run', '--no-such-flag'].join('\n'), { SVMTEST_OK_EXIT_CODES: '0 1' });
    expect(usage.r.exitCode).toBe(2);
    expect(outputs(usage.output)['exit-code']).toBe('2');
  }, 60_000);

  it("the install step runs npm without the calling step's secrets", async () => {
    const fake = join(dir, 'fakebin');
    mkdirSync(fake, { recursive: true });
    const seen = join(dir, 'npm-env.txt');
    // A stand-in npm that records the environment the install scripts would get.
    writeFileSync(join(fake, 'npm'), `#!/bin/sh\nenv >> '${seen}'\n`);
    chmodSync(join(fake, 'npm'), 0o755);
    const copy = join(dir, 'action-copy');
    mkdirSync(copy, { recursive: true });
    const { r } = await runStep(
      step('Install svmtest').run!,
      {
        PATH: `${fake}:${process.env.PATH}`,
        SVMTEST_HISTORY_DB: 'postgres://ci:hunter2@db/h',
        IPMI_PASSWORD: 'bmc-secret',
        npm_config_cache: '/tmp/npm-cache',
      },
      copy,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const env = readFileSync(seen, 'utf8');
    expect(env).toMatch(/^npm_config_cache=\/tmp\/npm-cache$/m);
    expect(env).not.toMatch(/hunter2|bmc-secret/);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonReporter } from '../../src/reporters/json.js';
import { junitReporter } from '../../src/reporters/junit.js';
import { markdownReporter } from '../../src/reporters/markdown.js';
import { terminalReporter } from '../../src/reporters/terminal.js';
import type { SavedResult } from '../../src/reporters/types.js';
import { captureScreen } from '../helpers/hostile.js';
import { sampleComparison } from '../helpers/sample-comparison.js';

// Reporters are asserted exactly: a fixed comparison (fixed clock, ids and durations), a screen of
// fixed width and colour. A change in what users read shows up here as a diff to review.
const result: SavedResult = { kind: 'comparison', comparison: sampleComparison() };
const outDir = () => mkdtempSync(join(tmpdir(), 'svmtest-reporters-'));

describe('reporters, exactly', () => {
  it('terminal without colour', async () => {
    const screen = captureScreen();
    await terminalReporter.render(result, { screen, outDir: undefined });
    expect(screen.text()).toBe(
      [
        'svmtest: legacy (baseline, 4 tests) vs gpusvm (candidate, 4 tests)',
        '  regression        1',
        '  new failure       1',
        '  missing           1',
        '  fixed             1',
        '  pass              1',
        '',
        'REGRESSION kfdtest/A.regress (pass → crash)',
        '    the test process was killed by SIGSEGV',
        '    kernel: gpu-page-fault — amdgpu: [gfxhub] page fault',
        'NEW FAILURE kfdtest/A.new (absent → fail)',
        '    x.cc:1: Failure',
        'MISSING kfdtest/A.gone (pass → absent)',
        '    in the baseline, absent from the candidate',
        'FIXED kfdtest/A.fixed (fail → pass)',
        '',
      ].join('\n'),
    );
  });

  it('terminal with colour: red for what fails the run, green for what got better', async () => {
    const screen = captureScreen({}, true);
    await terminalReporter.render(result, { screen, outDir: undefined });
    const lines = screen.text().split('\n');
    expect(lines[0]).toBe('\x1b[1msvmtest: legacy (baseline, 4 tests) vs gpusvm (candidate, 4 tests)\x1b[22m');
    expect(lines[1]).toBe('  \x1b[31mregression \x1b[39m       1');
    expect(lines[4]).toBe('  \x1b[32mfixed      \x1b[39m       1');
    expect(lines[7]).toBe('\x1b[31mREGRESSION\x1b[39m kfdtest/A.regress \x1b[2m(pass → crash)\x1b[22m');
    expect(lines[9]).toBe('\x1b[35m    kernel: gpu-page-fault — amdgpu: [gfxhub] page fault\x1b[39m');
  });

  it('markdown summary', async () => {
    const dir = outDir();
    expect(await markdownReporter.render(result, { screen: captureScreen(), outDir: dir })).toEqual([join(dir, 'summary.md')]);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toBe(
      [
        '## svmtest: gpusvm vs legacy',
        '',
        'Baseline **legacy** (4 tests) · candidate **gpusvm** (4 tests, kernel 6.18.0-gpusvm)',
        '',
        '| verdict | tests |',
        '|---|---:|',
        '| regression | 1 |',
        '| new failure | 1 |',
        '| missing | 1 |',
        '| fixed | 1 |',
        '| pass | 1 |',
        '',
        '| verdict | test | baseline → candidate | first failure | kernel |',
        '|---|---|---|---|---|',
        '| regression | kfdtest/A.regress | pass → crash | the test process was killed by SIGSEGV | gpu-page-fault |',
        '| new failure | kfdtest/A.new | — → fail | x.cc:1: Failure |  |',
        '| missing | kfdtest/A.gone | pass → — | in the baseline, absent from the candidate |  |',
        '| fixed | kfdtest/A.fixed | fail → pass |  |  |',
        '',
      ].join('\n'),
    );
  });

  it('junit.xml: regressions, new failures and missing tests are failures with their evidence', async () => {
    const dir = outDir();
    await junitReporter.render(result, { screen: captureScreen(), outDir: dir });
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="5" failures="3" errors="0" skipped="0">
  <testsuite name="kfdtest (gpusvm vs legacy)" tests="5" failures="3" errors="0" skipped="0">
    <testcase classname="kfdtest" name="A.pass" time="0.001"/>
    <testcase classname="kfdtest" name="A.regress" time="0.001">
      <properties>
        <property name="verdict" value="regression"/>
        <property name="baseline" value="pass"/>
        <property name="candidate" value="crash"/>
      </properties>
      <failure message="regression: the test process was killed by SIGSEGV" type="regression"><![CDATA[the test process was killed by SIGSEGV
more
kernel: gpu-page-fault]]></failure>
      <system-err><![CDATA[[gpu-page-fault] amdgpu: [gfxhub] page fault (src_id:0)]]></system-err>
    </testcase>
    <testcase classname="kfdtest" name="A.fixed" time="0.001">
      <properties>
        <property name="verdict" value="fixed"/>
        <property name="baseline" value="fail"/>
        <property name="candidate" value="pass"/>
      </properties>
    </testcase>
    <testcase classname="kfdtest" name="A.new" time="0.001">
      <properties>
        <property name="verdict" value="new-fail"/>
        <property name="candidate" value="fail"/>
      </properties>
      <failure message="new failure: x.cc:1: Failure" type="new-fail"><![CDATA[x.cc:1: Failure]]></failure>
    </testcase>
    <testcase classname="kfdtest" name="A.gone" time="0.001">
      <properties>
        <property name="verdict" value="missing"/>
        <property name="baseline" value="pass"/>
      </properties>
      <failure message="missing: in the baseline, absent from the candidate" type="missing"/>
    </testcase>
  </testsuite>
</testsuites>
`);
  });

  it('json: the comparison itself', async () => {
    const screen = captureScreen();
    await jsonReporter.render(result, { screen, outDir: undefined });
    expect(JSON.parse(screen.text())).toEqual(result.kind === 'comparison' ? JSON.parse(JSON.stringify(result.comparison)) : undefined);
  });
});

describe('kernel records outside any test', () => {
  const outside = {
    context: 'after kfdtest/A.b, outside any test',
    event: { kind: 'oops' as const, timestamp: 12.5, summary: 'BUG: unable to handle page fault \u001b[2J\n::error::forged', lines: [] },
  };
  const comparison = { ...sampleComparison(), kernelEvents: [{ side: 'candidate' as const, ...outside }] };

  it('every report lists them beside the verdicts, neutralised', async () => {
    const screen = captureScreen();
    await terminalReporter.render({ kind: 'comparison', comparison }, { screen, outDir: undefined });
    expect(screen.text()).toContain(
      'kernel records outside any test:\n  candidate, after kfdtest/A.b, outside any test: oops — BUG: unable to handle page fault \\x1b[2J\n',
    );
    const dir = outDir();
    await markdownReporter.render({ kind: 'comparison', comparison }, { screen: captureScreen(), outDir: dir });
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(
      /\*\*Kernel records outside any test\*\*.*\n\n- candidate, after kfdtest\/A\.b, outside any test: oops/,
    );
    await junitReporter.render({ kind: 'comparison', comparison }, { screen: captureScreen(), outDir: dir });
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toMatch(
      /<property name="kernel-outside-tests" value="candidate, after kfdtest\/A\.b, outside any test: oops/,
    );
  });
});

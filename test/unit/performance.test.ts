import { describe, expect, it } from 'vitest';
import { comparisonExitCode, parseFailOn } from '../../src/compare/exit-policy.js';
import { compareRuns } from '../../src/compare/compare-runs.js';
import { NO_EXPECTATIONS } from '../../src/compare/expectations.js';
import { comparePerformance, DEFAULT_PERF_SETTINGS, mannWhitneyP, perfVerdict, ratioInterval } from '../../src/compare/performance.js';
import { EXIT } from '../../src/model/exit-codes.js';
import { scanMetrics } from '../../src/parsers/metrics.js';
import { junitReporter } from '../../src/reporters/junit.js';
import { markdownReporter } from '../../src/reporters/markdown.js';
import { terminalReporter } from '../../src/reporters/terminal.js';
import { loadSuiteFile } from '../../src/suites/definition.js';
import { builtinSuiteFiles } from '../../src/suites/builtin.js';
import { slowerSince } from '../../src/history/perf-trend.js';
import { roundFilters, timedTests, withSamples } from '../../src/pipeline/repeat-rounds.js';
import { captureScreen } from '../helpers/hostile.js';
import { makeRun, result } from '../helpers/runs.js';
import padjust from '@stdlib/stats-padjust';
import mt19937 from '@stdlib/random-base-mt19937';

describe('the statistics, against published values', () => {
  // R's documentation of wilcox.test: Hollander & Wolfe (1973), p. 69f, permeability constants of the
  // human chorioamnion; W = 35. The two-sided normal approximation without continuity correction:
  // z = (35 − 25) / √(10·5·16/12) = 1.2247, p = 0.2207.
  const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
  const y = [1.15, 0.88, 0.9, 0.74, 1.21];
  it('Mann-Whitney U: the two-sided p of the normal approximation', () => {
    expect(mannWhitneyP(x, y)).toBeCloseTo(0.2207, 4);
    expect(mannWhitneyP(y, x)).toBeCloseTo(0.2207, 4);
  });
  it('Mann-Whitney U: two samples that do not overlap at all, 10 each (z = −3.78)', () => {
    const a = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
    const b = a.map((v) => v + 100);
    expect(mannWhitneyP(a, b)).toBeCloseTo(1.57e-4, 5);
  });
  it('no difference at all is p = 1, not NaN', () => {
    expect(mannWhitneyP([5, 5, 5], [5, 5, 5])).toBe(1);
  });
  it('Holm and Benjamini-Hochberg match R p.adjust on the package documentation`s p-values', () => {
    const p = [0.008, 0.03, 0.123, 0.6, 0.2];
    // R: p.adjust(p, "holm"), p.adjust(p, "BH")
    expect(padjust(p, 'holm').map((v) => Number(v.toFixed(4)))).toEqual([0.04, 0.12, 0.369, 0.6, 0.4]);
    expect(padjust(p, 'bh').map((v) => Number(v.toFixed(4)))).toEqual([0.04, 0.075, 0.205, 0.6, 0.25]);
  });
  it('the bootstrap interval of the ratio of medians holds the ratio and is the same every time', () => {
    const base = [100, 101, 99, 102, 98, 100, 103, 97, 100, 101];
    const cand = base.map((v) => v * 1.3);
    const seeded = () => {
      const draw = mt19937.factory({ seed: 7 });
      return () => draw() / 2 ** 32;
    };
    const [low, high] = ratioInterval(base, cand, 2000, seeded());
    expect(low).toBeGreaterThan(1.2);
    expect(high).toBeLessThan(1.4);
    expect(low).toBeLessThanOrEqual(1.3);
    expect(high).toBeGreaterThanOrEqual(1.3);
    expect(ratioInterval(base, cand, 2000, seeded())).toEqual([low, high]);
  });
});

describe('the performance verdict', () => {
  const s = DEFAULT_PERF_SETTINGS;
  it.each([
    [1.3, 1.2, 1.4, 0.001, 'lower', 'slower'],
    [1.3, 1.2, 1.4, 0.001, 'higher', 'faster'],
    [0.7, 0.6, 0.8, 0.001, 'higher', 'slower'],
    [0.7, 0.6, 0.8, 0.001, 'lower', 'faster'],
    [1.3, 1.2, 1.4, 0.2, 'lower', 'same'], // not significant
    [1.03, 1.01, 1.05, 0.001, 'lower', 'same'], // under the 5 % threshold
    [1.3, 0.9, 1.6, 0.001, 'lower', 'same'], // the interval holds 1
  ] as const)('ratio %s [%s, %s], p %s, %s better → %s', (ratio, low, high, p, better, verdict) => {
    expect(perfVerdict(ratio, low, high, p, better, s)).toBe(verdict);
  });

  const samples = (values: number[], metric?: number[]) => values.map((durationMs, i) => ({ durationMs, ...(metric ? { metrics: { bw: metric[i]! } } : {}) }));
  const noisy = (median: number, n = 10) => Array.from({ length: n }, (_, i) => median * (1 + ((i * 7) % 10) / 200 - 0.025));
  const runs = () => {
    const metrics = { bw: { value: 10, unit: 'GB/s', better: 'higher' as const } };
    const base = makeRun('legacy', [
      result('perf', 'Perf.FaultHeavy', 'pass', { samples: samples(noisy(200)) }),
      result('perf', 'Perf.Copy', 'pass', { samples: samples(noisy(20), noisy(10)), metrics }),
      result('perf', 'Perf.Once', 'pass'),
    ]);
    const cand = makeRun('gpusvm', [
      result('perf', 'Perf.FaultHeavy', 'pass', { samples: samples(noisy(260)) }),
      result('perf', 'Perf.Copy', 'pass', { samples: samples(noisy(20), noisy(7)), metrics }),
      result('perf', 'Perf.Once', 'pass'),
    ]);
    return { base, cand };
  };

  it('flags the test 30 % slower and the bandwidth 30 % lower, nothing else; keeps every sample', () => {
    const { base, cand } = runs();
    const section = comparePerformance(base, cand)!;
    const verdict = (name: string, metric: string) => section.changes.find((c) => c.name === name && c.metric === metric)?.verdict;
    expect(verdict('Perf.FaultHeavy', 'duration')).toBe('slower');
    expect(verdict('Perf.Copy', 'duration')).toBe('same');
    expect(verdict('Perf.Copy', 'bw')).toBe('slower');
    expect(section.changes.some((c) => c.name === 'Perf.Once')).toBe(false); // one run is no evidence
    expect(section.counts).toEqual({ slower: 2, faster: 0, same: 1 });
    const slow = section.changes.find((c) => c.name === 'Perf.FaultHeavy')!;
    expect(slow.low!).toBeGreaterThan(1);
    expect(slow.ratio!).toBeCloseTo(1.3, 2);
    expect(slow.candidate.samples).toHaveLength(10);
    expect(comparePerformance(base, cand)).toEqual(section); // seeded: the same every time
  });

  it('a duration that moved by less than --perf-min-ms is the same, however large its ratio', () => {
    // A test too quick to time: whole milliseconds, one more on the candidate's side every time.
    const base = makeRun('legacy', [result('perf', 'Perf.Quick', 'pass', { samples: samples([1, 1, 0, 1, 1, 1, 0, 1, 1, 1]) })]);
    const cand = makeRun('gpusvm', [result('perf', 'Perf.Quick', 'pass', { samples: samples([2, 2, 2, 3, 2, 2, 2, 1, 2, 2]) })]);
    const quick = (settings = DEFAULT_PERF_SETTINGS) => comparePerformance(base, cand, settings)!.changes[0]!;
    expect(quick().ratio).toBe(2);
    expect(quick().pAdjusted).toBeLessThan(0.05);
    expect(quick().verdict).toBe('same');
    expect(quick({ ...DEFAULT_PERF_SETTINGS, minDurationChangeMs: 0 }).verdict).toBe('slower');
    const { minDurationChangeMs: _, ...written } = DEFAULT_PERF_SETTINGS; // a comparison.json from before the floor
    expect(quick(written).verdict).toBe('slower');
  });

  it('--fail-on slower makes a slower test exit 1; the default does not', () => {
    const { base, cand } = runs();
    const comparison = compareRuns(base, cand, { expectations: NO_EXPECTATIONS, now: new Date(0), toolVersion: 't' });
    expect(comparisonExitCode(comparison, { verdicts: 'regression', slower: false })).toBe(EXIT.ok);
    expect(comparisonExitCode(comparison, { verdicts: 'regression', slower: true })).toBe(EXIT.unexpected);
    expect(parseFailOn('regression,slower')).toEqual({ verdicts: 'regression', slower: true });
    expect(parseFailOn('slower')).toEqual({ verdicts: 'never', slower: true });
    expect(parseFailOn('never,slower')).toMatch(/never cannot be combined/);
    expect(parseFailOn('faster')).toMatch(/"faster" is not one of/);
  });

  it('reports list the significant changes only: terminal, Markdown, JUnit properties', async () => {
    const { base, cand } = runs();
    const comparison = compareRuns(base, cand, { expectations: NO_EXPECTATIONS, now: new Date(0), toolVersion: 't' });
    const screen = captureScreen();
    await terminalReporter.render({ kind: 'comparison', comparison }, { screen, outDir: undefined });
    expect(screen.text()).toMatch(/performance: 2 slower, 0 faster, 1 without a significant change of 5% or more \(for a duration, and 10 ms or more\)/);
    expect(screen.text()).toMatch(/SLOWER perf\/Perf\.FaultHeavy duration \(ms, lower is better\): 1\.3\d× \[1\.\d\d, 1\.\d\d\]/);
    expect(screen.text()).not.toMatch(/Perf\.Copy duration/);
    const md = captureScreen();
    await markdownReporter.render({ kind: 'comparison', comparison }, { screen: md, outDir: undefined });
    expect(md.text()).toMatch(/### Performance/);
    expect(md.text()).toMatch(/\| slower \| perf\/Perf\.Copy \| bw \\\(GB\/s, higher is better\\\) \| 0\.7\d× \[0\.\d\d, 0\.\d\d\] \| 9\.97 → 6\.98 \|/);
    const junit = captureScreen();
    await junitReporter.render({ kind: 'comparison', comparison }, { screen: junit, outDir: undefined });
    expect(junit.text()).toMatch(/<property name="perf duration" value="slower 1\.3\d× \[1\.\d\d, 1\.\d\d\] p [\d.e-]+"\/>/);
  });
});

describe('metrics read from a test`s output', () => {
  const rocrtst = loadSuiteFile(builtinSuiteFiles().find((f) => f.endsWith('rocrtst.yaml'))!);
  it("rocrtst memory_async_copy's table, one metric per path and size; dispatch_time's average", () => {
    const output = [
      '=========================== PATH: From Pool 0 To Pool 1 (Host-To-Device) ===========================',
      'Verification: Pass',
      'Data Size             Avg Time(us)         Avg BW(GB/s)          Min Time(us)          Peak BW(GB/s)',
      '     1K                  12.500000              0.076294              11.000000              0.086698',
      '    64M               2650.000000             23.584906            2600.000000             24.038462',
      '=========================== PATH: From Pool 1 To Pool 0 (Device-To-Host) ===========================',
      '     1K                  13.000000              0.073360              12.000000              0.079473',
      'Average Time to Completion: 4.5 uS',
    ].join('\n');
    expect(scanMetrics(rocrtst.metrics, output)).toEqual({
      'From Pool 0 To Pool 1 (Host-To-Device) 1K bandwidth': { value: 0.076294, unit: 'GB/s', better: 'higher' },
      'From Pool 0 To Pool 1 (Host-To-Device) 64M bandwidth': { value: 23.584906, unit: 'GB/s', better: 'higher' },
      'From Pool 1 To Pool 0 (Device-To-Host) 1K bandwidth': { value: 0.07336, unit: 'GB/s', better: 'higher' },
      'average time to completion': { value: 4.5, unit: 'us', better: 'lower' },
    });
  });
  it('a name made from output keeps printable characters only and stays short', () => {
    const metrics = scanMetrics(
      [{ name: 'lat {what}', pattern: '^(?<what>.*) = (?<value>\\d+)$', unit: 'ns', better: 'lower' }],
      `\u001b[31mevil\u0007${'x'.repeat(300)} = 5`,
    );
    const [name] = Object.keys(metrics!);
    expect(name).toMatch(/^lat \[31mevilx+$/);
    expect(name!.length).toBeLessThanOrEqual(120);
  });
  it('no match, no metrics (run.json has no empty object)', () => {
    expect(scanMetrics(rocrtst.metrics, 'nothing here')).toBeUndefined();
  });
});

describe('slower since', () => {
  const n = (night: string, verdict: 'slower' | 'faster' | 'same') => ({ night, verdict });
  it('is the first night of the latest unbroken stretch of slower verdicts', () => {
    expect(slowerSince([n('1', 'slower'), n('2', 'same'), n('3', 'slower'), n('4', 'slower')])).toBe('3');
    expect(slowerSince([n('1', 'slower'), n('2', 'same')])).toBeUndefined();
    expect(slowerSince([])).toBeUndefined();
  });
});

describe('repeat rounds', () => {
  const first = makeRun('legacy', [result('s', 'A.fast', 'pass', { durationMs: 5 }), result('s', 'A.bad', 'fail'), result('s', 'B.slow', 'pass')]);
  it('--repeat times every passing test; without it, the suite`s repeat: rules pick', () => {
    expect([...timedTests(first, 3, new Map())]).toEqual([
      ['s/A.fast', 3],
      ['s/B.slow', 3],
    ]);
    const rules = new Map([['s', [{ pattern: 'B.*', times: 5 }]]]);
    expect([...timedTests(first, undefined, rules)]).toEqual([['s/B.slow', 5]]);
    expect(roundFilters(timedTests(first, undefined, rules), 5)).toEqual(['s/B.slow']);
  });
  it('folds the rounds into samples; a round where a test failed gives no sample and a warning', () => {
    const round2 = makeRun('legacy', [result('s', 'A.fast', 'pass', { attempts: [{ status: 'pass', durationMs: 7 }] }), result('s', 'B.slow', 'fail')]);
    const folded = withSamples(first, '/r', [{ round: 2, dir: '/r/repeats/2', run: round2 }], timedTests(first, 2, new Map()));
    expect(folded.tests.find((t) => t.name === 'A.fast')!.samples).toEqual([{ durationMs: 1 }, { durationMs: 7 }]);
    expect(folded.tests.find((t) => t.name === 'B.slow')!.samples).toEqual([{ durationMs: 1 }]);
    expect(folded.run.warnings).toEqual(['s/B.slow was fail in repeat round 2 (repeats/2/run.json)']);
    expect(folded.run.repeat).toEqual({ rounds: 2, dirs: ['repeats/2'] });
  });
});

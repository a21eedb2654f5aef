// Generates large, realistic inputs for the benchmarks (not committed: bench/.data/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SUITES = ['KFDSVMRangeTest', 'KFDMemoryTest', 'KFDQMTest', 'KFDEvictTest', 'KFDSVMEvictTest', 'KFDGWSTest', 'KFDIPCTest', 'KFDTopologyTest'];

export function testNames(count) {
  const names = [];
  for (let i = 0; i < count; i++) names.push(`${SUITES[i % SUITES.length]}.Case${Math.floor(i / SUITES.length)}/${i % 2}`);
  return names;
}

const failing = (i) => i % 97 === 0;

export function gtestXml(count) {
  const parts = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${count}" failures="0" disabled="0" errors="0" time="1" timestamp="2026-11-25T13:01:23.435" name="AllTests">`,
  ];
  const names = testNames(count);
  let current;
  names.forEach((full, i) => {
    const [suite, name] = [full.slice(0, full.indexOf('.')), full.slice(full.indexOf('.') + 1)];
    if (suite !== current) {
      if (current) parts.push('  </testsuite>');
      parts.push(`  <testsuite name="${suite}" tests="1" failures="0" disabled="0" skipped="0" errors="0" time="0" timestamp="2026-11-25T13:01:23.435">`);
      current = suite;
    }
    if (failing(i)) {
      parts.push(
        `    <testcase name="${name}" file="t.cc" line="${i}" status="run" result="completed" time="0.003" timestamp="2026-11-25T13:01:23.436" classname="${suite}">`,
        `      <failure message="t.cc:${i}&#x0A;Value of: ret&#x0A;  Actual: 1&#x0A;Expected: 0" type=""><![CDATA[t.cc:${i}`,
        'Value of: ret',
        '  Actual: 1',
        'Expected: 0]]></failure>',
        '    </testcase>',
      );
    } else {
      parts.push(
        `    <testcase name="${name}" file="t.cc" line="${i}" status="run" result="completed" time="0.001" timestamp="2026-11-25T13:01:23.436" classname="${suite}" />`,
      );
    }
  });
  parts.push('  </testsuite>', '</testsuites>', '');
  return parts.join('\n');
}

export function gtestConsole(count) {
  const parts = [
    'Running main() from gtest_main.cc',
    `[==========] Running ${count} tests from 8 test suites.`,
    '[----------] Global test environment set-up.',
  ];
  testNames(count).forEach((name, i) => {
    parts.push(`2026-09-16T04:30:59.3133754Z [ RUN      ] ${name}`);
    if (i % 10 === 0) parts.push('[          ] allocating 64 MiB of SVM range', '[          ] migrating to VRAM');
    if (failing(i)) parts.push(`KFDSVMRangeTest.cpp:${i}: Failure`, 'Value of: ret', '  Actual: 1', 'Expected: 0', `[  FAILED  ] ${name} (3 ms)`);
    else parts.push(`[       OK ] ${name} (1 ms)`);
  });
  parts.push(`[==========] ${count} tests from 8 test suites ran. (100 ms total)`, '');
  return parts.join('\n');
}

export function runJson(count, variant, flipEvery) {
  const tests = testNames(count).map((name, i) => {
    const status = flipEvery && i % flipEvery === 0 ? 'fail' : 'pass';
    return {
      suite: 'kfdtest',
      name,
      status,
      durationMs: 1,
      attempts: [{ status, durationMs: 1, ...(status === 'fail' ? { message: 'Value of: ret\n  Actual: 1' } : {}) }],
      ...(status === 'fail' ? { message: 'Value of: ret\n  Actual: 1' } : {}),
      kernelEvents: [],
    };
  });
  return {
    schemaVersion: 1,
    run: {
      id: `bench-${variant}`,
      variant,
      target: 'host',
      startedAt: '2026-11-25T00:00:00.000Z',
      finishedAt: '2026-11-25T01:00:00.000Z',
      status: 'complete',
      environment: { gpus: [{ node: 1, gfx: 'gfx942', name: 'MI300X', xnack: true }] },
      toolVersion: '0.1.0',
    },
    tests,
    errors: [],
  };
}

export function generateCoreInputs(dir, count = 100_000) {
  mkdirSync(join(dir, 'legacy'), { recursive: true });
  mkdirSync(join(dir, 'gpusvm'), { recursive: true });
  const files = {
    xml: join(dir, 'gtest-100k.xml'),
    console: join(dir, 'gtest-100k.log'),
    baseline: join(dir, 'legacy', 'run.json'),
    candidate: join(dir, 'gpusvm', 'run.json'),
  };
  writeFileSync(files.xml, gtestXml(count));
  writeFileSync(files.console, gtestConsole(count));
  writeFileSync(files.baseline, JSON.stringify(runJson(count, 'legacy', 0)));
  writeFileSync(files.candidate, JSON.stringify(runJson(count, 'gpusvm', 100)));
  return files;
}

import { execa } from 'execa';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fmtMs, row, timeCommand } from './measure.js';

const COUNT = 2000;

export async function trivialProgram(dir) {
  const out = join(dir, `trivial-${COUNT}`);
  if (existsSync(out)) return out;
  const source = `${out}.cc`;
  const lines = ['#include <gtest/gtest.h>'];
  for (let i = 0; i < COUNT; i++) lines.push(`TEST(Trivial${i % 20}, Case${i}) { EXPECT_EQ(${i}, ${i}); }`);
  writeFileSync(source, `${lines.join('\n')}\n`);
  await execa('g++', ['-O0', '-o', out, source, '-lgtest', '-lgtest_main', '-pthread']);
  return out;
}

/** 2,000 trivial gtest tests: svmtest's batch and isolated modes against running the binary alone. */
export async function engineFigures(bin, dataDir) {
  mkdirSync(dataDir, { recursive: true });
  const program = await trivialProgram(dataDir);
  const suite = join(dataDir, 'trivial.yaml');
  writeFileSync(suite, stringify({ name: 'trivial', kind: 'gtest', command: [program] }));
  const config = join(dataDir, 'bench-config.yaml');
  writeFileSync(config, stringify({ run: { retries: 0 } }));
  const direct = await timeCommand(program, []);
  const cliStart = await timeCommand(process.execPath, [bin, '--version'], { node: true, repeat: 5 });
  let runs = 0;
  const runDir = (label) => {
    const d = join(dataDir, `run-${label}-${++runs}`);
    rmSync(d, { recursive: true, force: true });
    return d;
  };
  const batch = await timeCommand(process.execPath, () => [bin, 'run', '-c', config, '--suite-file', suite, '-o', runDir('batch')], {
    node: true,
    repeat: 3,
    okCodes: [0],
  });
  const isolated = await timeCommand(
    process.execPath,
    () => [bin, 'run', '-c', config, '--suite-file', suite, '--isolate', '-f', 'trivial/Trivial0.*', '-o', runDir('isolated')],
    { node: true, repeat: 3, okCodes: [0] },
  );
  const batchSubset = await timeCommand(
    process.execPath,
    () => [bin, 'run', '-c', config, '--suite-file', suite, '-f', 'trivial/Trivial0.*', '-o', runDir('subset')],
    { node: true, repeat: 3, okCodes: [0] },
  );
  const perTest = (isolated.ms - batchSubset.ms) / (COUNT / 20);
  const ratio = (batch.ms - cliStart.ms) / direct.ms;
  // The marginal cost of a test in batch mode: 2,000 tests against 100 of the same program.
  const marginal = (batch.ms - batchSubset.ms) / (COUNT - COUNT / 20);
  // What a run costs whatever its size: listing, preflight, the kernel-log follower, run.json, reports.
  const fixed = batch.ms - cliStart.ms - marginal * COUNT;
  return { direct, cliStart, batch, isolated, perTest, ratio, marginal, fixed };
}

/** The engine's table from its figures. */
export function engineTable({ direct, cliStart, batch, isolated, perTest, ratio, marginal, fixed }) {
  return [
    `### Engine (${COUNT} trivial gtest tests; best of 3)`,
    '',
    row(['what', 'time', 'figure', 'goal']),
    row(['---', '---:', '---:', '---:']),
    row(['the binary alone', fmtMs(direct.ms), '', '']),
    row(['svmtest CLI start (`--version`)', fmtMs(cliStart.ms), '', '']),
    row(['`svmtest run` batch mode', fmtMs(batch.ms), `${ratio.toFixed(2)}× the binary (CLI start excluded)`, `≤ 1.3× ${ratio <= 1.3 ? '✓' : '✗'}`]),
    row(['batch mode, marginal cost per test', '', `${(marginal * 1000).toFixed(0)} µs per test (binary: ${((direct.ms / COUNT) * 1000).toFixed(0)} µs)`, '']),
    row(['batch mode, fixed cost (CLI start and per-test cost excluded)', fmtMs(fixed), '', `≤ 250 ms ${fixed <= 250 ? '✓' : '✗'}`]),
    row([
      `\`svmtest run --isolate\`, ${COUNT / 20} tests`,
      fmtMs(isolated.ms),
      `+${perTest.toFixed(1)} ms per test over batch`,
      `≤ 15 ms ${perTest <= 15 ? '✓' : '✗'}`,
    ]),
  ].join('\n');
}

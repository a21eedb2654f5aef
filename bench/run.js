// npm run bench [-- core|engine|build|bisect|real-suites|history|kfdtest-host|ssh|lava|order|overhead …]: prints a table per benchmark; goals from the issues.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bisectBench } from './bisect.js';
import { buildBench } from './build.js';
import { engineFigures, engineTable } from './engine.js';
import { historyBench } from './history.js';
import { kfdtestHostFigures, kfdtestHostTable } from './kfdtest-host.js';
import { lavaBench } from './lava.js';
import { orderBench } from './order.js';
import { overheadBench } from './overhead.js';
import { realSuitesBench } from './real-suites.js';
import { sshBench } from './ssh.js';
import { generateCoreInputs } from './generate.js';
import { fmtMb, fmtMs, row, timeCommand } from './measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'svmtest.js');
const DATA = join(ROOT, 'bench', '.data');

async function core() {
  mkdirSync(DATA, { recursive: true });
  const files = generateCoreInputs(DATA);
  const out = join(DATA, 'out');
  const lines = [
    '### Results core (100,000 tests; best of 3; CLI start included)',
    '',
    row(['what', 'time', 'goal', 'peak RSS', '`wc -l` same file', 'ratio to wc']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
  ];
  const cases = [
    ['parse gtest XML', ['parse', files.xml, '--suite', 'kfdtest', '-o', join(out, 'xml')], files.xml, 1500, [0]],
    ['parse gtest console', ['parse', files.console, '--suite', 'kfdtest', '-o', join(out, 'console')], files.console, 1500, [0]],
    ['compare two runs (1% differ)', ['compare', files.baseline, files.candidate, '-o', join(out, 'cmp')], files.candidate, 1500, [1]],
    [
      'compare + junit + markdown reports',
      ['compare', files.baseline, files.candidate, '-o', join(out, 'cmp2'), '-r', 'terminal,junit,markdown'],
      files.candidate,
      null,
      [1],
    ],
  ];
  for (const [label, args, input, goal, okCodes] of cases) {
    const t = await timeCommand(process.execPath, [BIN, ...args], { node: true, okCodes });
    const wc = await timeCommand('wc', ['-l', input]);
    const goalCell = goal === null ? '—' : `< ${goal} ms ${t.ms < goal ? '✓' : '✗'}`;
    lines.push(row([label, fmtMs(t.ms), goalCell, `${fmtMb(t.rss)} ${t.rss < 500 * 1024 * 1024 ? '✓' : '✗'}`, fmtMs(wc.ms), `${(t.ms / wc.ms).toFixed(0)}×`]));
  }
  const version = await timeCommand(process.execPath, [BIN, '--version'], { node: true, repeat: 5 });
  lines.push(row(['svmtest --version', fmtMs(version.ms), `< 300 ms ${version.ms < 300 ? '✓' : '✗'}`, fmtMb(version.rss), '', '']));
  return lines.join('\n');
}

// Figures two benchmarks print are measured once per invocation.
const once = (measure) => {
  let figures;
  return () => (figures ??= measure());
};
const measured = {
  engine: once(() => engineFigures(BIN, join(DATA, 'engine'))),
  kfdtestHost: once(() => kfdtestHostFigures(ROOT, BIN, join(DATA, 'kfdtest-host'))),
};

const BENCHES = {
  core,
  engine: async () => engineTable(await measured.engine()),
  build: () => buildBench(ROOT, BIN),
  bisect: () => bisectBench(ROOT, BIN),
  'real-suites': () => realSuitesBench(ROOT, BIN, join(DATA, 'real-suites')),
  history: () => historyBench(ROOT, BIN, join(DATA, 'history')),
  'kfdtest-host': async () => kfdtestHostTable(await measured.kfdtestHost()),
  ssh: () => sshBench(BIN, join(DATA, 'ssh')),
  lava: () => lavaBench(ROOT, BIN, join(DATA, 'lava')),
  order: () => orderBench(BIN, join(DATA, 'order')),
  overhead: () => overheadBench(BIN, DATA, measured),
};

const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  if (!BENCHES[name]) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  console.log(`${await BENCHES[name]()}\n`);
}

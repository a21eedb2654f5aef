// svmtest's own overhead against each goal, in one table: the engine's fixed and per-test costs, the
// QEMU target's start, a night's history import, XML parsing against Python's expat, and the real
// kfdtest through svmtest against the same kfdtest run by hand. The per-area benchmarks print the detail.
import { execa } from 'execa';
import { join } from 'node:path';
import { generateCoreInputs } from './generate.js';
import { importFigure } from './history.js';
import { fmtMs, row } from './measure.js';
import { qemuFigures } from './qemu.js';

// CPU seconds (user + system) of a command and its children, from the kernel's accounting: what
// the children used during the run, since a process started through a wrapper (pyenv's python3
// shim is a shell script) inherits its wrapper's children's accounting across exec.
const CPU_OF =
  'import resource, subprocess, sys\ncpu = lambda r: r.ru_utime + r.ru_stime\nbefore = cpu(resource.getrusage(resource.RUSAGE_CHILDREN))\nsubprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\nprint(cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - before)';
// Python's expat through ElementTree's iterparse, counting test cases and freeing each element.
const EXPAT_COUNT =
  "import sys, xml.etree.ElementTree as ET\nn = 0\nfor _, el in ET.iterparse(sys.argv[1]):\n    if el.tag == 'testcase':\n        n += 1\n        el.clear()\nprint(n)";

async function cpuSeconds(python, argv) {
  let best = Infinity;
  for (let i = 0; i < 3; i++) best = Math.min(best, Number((await execa(python, ['-c', CPU_OF, ...argv])).stdout.trim()));
  return best;
}

/** Parsing the 100,000-test gtest XML: svmtest's CPU against expat's counting the same file. */
export async function xmlFigure(bin, dataDir) {
  const { xml } = generateCoreInputs(dataDir);
  // The interpreter itself, not a wrapper script in front of it: expat's figure is Python's, not pyenv's.
  const python = (await execa('python3', ['-c', 'import sys; print(sys.executable)'])).stdout.trim();
  const ours = await cpuSeconds(python, [process.execPath, bin, 'parse', xml, '--suite', 'kfdtest', '-o', join(dataDir, 'out', 'xml-cpu')]);
  const expat = await cpuSeconds(python, [python, '-c', EXPAT_COUNT, xml]);
  return { ours, expat, ratio: ours / expat };
}

const verdict = (ok) => (ok ? '✓' : '✗');

export async function overheadBench(bin, dataDir, measured) {
  const engine = await measured.engine();
  const qemu = await qemuFigures();
  const history = await importFigure(bin, join(dataDir, 'history'));
  const xml = await xmlFigure(bin, dataDir);
  const kfd = await measured.kfdtestHost();
  return [
    "### svmtest's own overhead, against its goals (this machine; best of 3 unless said)",
    '',
    row(['what', 'figure', 'goal']),
    row(['---', '---:', '---:']),
    row(['engine batch fixed cost (CLI start and per-test cost excluded)', fmtMs(engine.fixed), `≤ 250 ms ${verdict(engine.fixed <= 250)}`]),
    row(['`--isolate`, per test over batch', `+${engine.perTest.toFixed(1)} ms`, `≤ 15 ms ${verdict(engine.perTest <= 15)}`]),
    row([
      'QEMU start to the first test, against a bare boot to userspace',
      `${qemu.startRatio.toFixed(2)}× (${fmtMs(qemu.firstTest)} against ${fmtMs(qemu.cold)}; a bare boot of the ELF svmtest boots: ${fmtMs(qemu.coldElf)})`,
      `≤ 1.3× ${verdict(qemu.startRatio <= 1.3)}`,
    ]),
    row([
      `history import of one night (SQLite store of ${history.nights} nights, CLI start included)`,
      fmtMs(history.ms),
      `≤ 1000 ms ${verdict(history.ms <= 1000)}`,
    ]),
    row([
      'parse a 100,000-test gtest XML: CPU against Python expat iterparse counting it',
      `${xml.ratio.toFixed(2)}× (${xml.ours.toFixed(2)} s against ${xml.expat.toFixed(2)} s)`,
      `≤ 1× ${verdict(xml.ratio <= 1)}`,
    ]),
    row([
      `real kfdtest on the host, ${kfd.tests} tests: \`svmtest run --isolate\` against a shell loop`,
      `${kfd.isolateRatio.toFixed(2)}× (${fmtMs(kfd.isolated)} against ${fmtMs(kfd.rawLoop)})`,
      `≤ 1.2× ${verdict(kfd.isolateRatio <= 1.2)}`,
    ]),
    row([
      `real kfdtest on the host, ${kfd.tests} tests: \`svmtest run\` against one kfdtest process`,
      `${kfd.batchRatio.toFixed(2)}× (${fmtMs(kfd.batch)} against ${fmtMs(kfd.rawBatch)})`,
      `≤ 1.2× ${verdict(kfd.batchRatio <= 1.2)}`,
    ]),
  ].join('\n');
}

import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { ci, type Stage } from '../pipeline/ci.js';
import { demoConfig, ensureDemoPrerequisites } from '../pipeline/demo.js';
import { watchInterrupts } from '../pipeline/interrupts.js';
import { buildRealSuites, REAL_SUITE_PACKAGES, realSuitesConfig, rocmSourceDir } from '../pipeline/real-suites.js';
import { printStages } from './ci.js';
import { openProgress } from './progress.js';
import { note, processScreen } from './screen.js';

export interface DemoFlags {
  installDeps?: boolean;
  out?: string;
  accel?: 'auto' | 'kvm' | 'tcg';
  realSuites?: boolean;
  rocmSrc?: string;
  filter?: string[];
}

function explain(realSuites: boolean): void {
  note('svmtest demo — a DEMONSTRATION of the pipeline on this machine, not a GPU result:');
  note("  both variants boot Debian's kernel in QEMU with amdgpu.ko loaded (a real /dev/kfd, CPU-only, no GPU);");
  if (realSuites) {
    note('  kfdtest, rocrtst and hip-tests are built from source and run in both; without a GPU they fail and crash in');
    note('  known ways (listed in the expectations), so nothing here tells the two SVM implementations apart.');
  } else note('  the candidate only differs in amdgpu.noretry=0, which the bundled demo suite can see.');
}

/** The config ci runs: the embedded demo, or the real suites built from source (build time counted as a stage). */
async function prepare(flags: DemoFlags): Promise<string> {
  if (!flags.realSuites) return demoConfig(flags.accel);
  const config = realSuitesConfig(rocmSourceDir(flags.rocmSrc), flags.accel);
  await buildRealSuites(config, { step: (variant, title) => note(`[build ${variant}] ${title}`), logLine: () => undefined, built: () => undefined });
  return config;
}

export async function demoCommand(flags: DemoFlags): Promise<ExitCode> {
  const realSuites = flags.realSuites ?? false;
  explain(realSuites);
  const started = performance.now();
  await ensureDemoPrerequisites(flags.installDeps ?? false, note, realSuites ? REAL_SUITE_PACKAGES : []);
  const config = await prepare(flags);
  const build: Stage = { name: 'build', ms: performance.now() - started };
  const interrupts = watchInterrupts(note, () => process.exit(EXIT.interrupted));
  try {
    const { code, outDir, stages } = await ci({
      // rocrtst's Max_Reference_Count hangs without a GPU: the timeout bounds it. 150 s, not less: some
      // memory tests take 20 s under TCG alone, and over 60 s beside a kernel build on 2 cores.
      request: { config, ...(realSuites ? { testTimeout: 150 } : {}), ...(flags.filter?.length ? { filters: flags.filter } : {}) },
      ...(flags.out ? { out: flags.out } : {}),
      failOn: { verdicts: realSuites ? 'unexpected' : 'never', slower: false },
      reporter: 'terminal,junit,markdown,github',
      screen: processScreen(),
      openProgress,
      note,
      signal: interrupts.signal,
      now: () => new Date(),
    });
    printStages([build, ...stages]);
    note(`reports in ${outDir}`);
    note('(a demonstration of the pipeline, not a GPU result)');
    if (realSuites) return code;
    return code === EXIT.infra || code === EXIT.interrupted ? code : EXIT.ok;
  } finally {
    interrupts.dispose();
  }
}

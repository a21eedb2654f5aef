import { EXIT, type ExitCode } from '../compare/exit-policy.js';
import { ci, type Stage } from '../pipeline/ci.js';
import { demoConfig, ensureDemoPrerequisites } from '../pipeline/demo.js';
import { watchInterrupts } from '../pipeline/interrupts.js';
import { printStages } from './ci.js';
import { openProgress } from './progress.js';
import { note, processScreen } from './screen.js';

export interface DemoFlags {
  installDeps?: boolean;
  out?: string;
  accel?: 'auto' | 'kvm' | 'tcg';
}

export async function demoCommand(flags: DemoFlags): Promise<ExitCode> {
  note('svmtest demo — a DEMONSTRATION of the pipeline on this machine, not a GPU result:');
  note("  both variants boot Debian's kernel in QEMU with amdgpu.ko loaded (a real /dev/kfd, CPU-only, no GPU);");
  note('  the candidate only differs in amdgpu.noretry=0, which the bundled demo suite can see.');
  const started = performance.now();
  await ensureDemoPrerequisites(flags.installDeps ?? false, note);
  const config = await demoConfig(flags.accel);
  const build: Stage = { name: 'build', ms: performance.now() - started };
  const interrupts = watchInterrupts(note, () => process.exit(EXIT.interrupted));
  try {
    const { code, outDir, stages } = await ci({
      request: { config },
      ...(flags.out ? { out: flags.out } : {}),
      failOn: 'never',
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
    return code === EXIT.infra || code === EXIT.interrupted ? code : EXIT.ok;
  } finally {
    interrupts.dispose();
  }
}

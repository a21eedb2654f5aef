import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { parseOutputs } from '../pipeline/parse-outputs.js';
import { note } from './screen.js';

export interface ParseFlags {
  suite: string[];
  variant: string;
  format?: string;
  skipRegex?: string;
  out?: string;
  kernelRelease?: string;
  gfx?: string;
  commit?: string;
  night?: string;
}

export async function parseCommand(files: string[], flags: ParseFlags): Promise<ExitCode> {
  const { file, run } = parseOutputs(
    {
      files,
      suites: flags.suite,
      variant: flags.variant,
      ...(flags.format ? { format: flags.format } : {}),
      ...(flags.skipRegex !== undefined ? { skipRegex: flags.skipRegex } : {}),
      ...(flags.out ? { out: flags.out } : {}),
      ...(flags.kernelRelease ? { kernelRelease: flags.kernelRelease } : {}),
      ...(flags.gfx ? { gfx: flags.gfx.split(',').map((g) => g.trim()) } : {}),
      ...(flags.commit ? { commit: flags.commit } : {}),
      ...(flags.night ? { night: flags.night } : {}),
      now: new Date(),
    },
    note,
  );
  note(`wrote ${file} (${run.tests.length} tests, variant ${run.run.variant})`);
  return EXIT.ok;
}

import { readCheckedResult } from '../pipeline/comparison-inputs.js';
import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { renderReports } from './render-on-screen.js';

export interface ReportCommandOptions {
  reporter: string;
  out?: string;
}

/** Re-renders any saved run.json or comparison.json with any reporter. */
export async function reportCommand(path: string, options: ReportCommandOptions): Promise<ExitCode> {
  // A comparison is re-checked against the runs it names: an edited verdict is refused.
  const result = readCheckedResult(path);
  await renderReports(result, options.reporter, options.out);
  return EXIT.ok;
}

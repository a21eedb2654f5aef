import { readResult } from '../model/run-file.js';
import { EXIT, type ExitCode } from '../compare/exit-policy.js';
import { renderReports } from './render-on-screen.js';

export interface ReportCommandOptions {
  reporter: string;
  out?: string;
}

/** Re-renders any saved run.json or comparison.json with any reporter. */
export async function reportCommand(path: string, options: ReportCommandOptions): Promise<ExitCode> {
  const result = readResult(path);
  await renderReports(result, options.reporter, options.out);
  return EXIT.ok;
}

import { resolve } from 'node:path';
import { selectReporters } from '../reporters/registry.js';
import type { SavedResult, Screen } from '../reporters/types.js';

/** Renders a saved result with the chosen reporters; returns the files they wrote. */
export async function renderReports(result: SavedResult, reporterList: string, outDir: string | undefined, screen: Screen): Promise<string[]> {
  const reporters = await selectReporters(reporterList);
  const written: string[] = [];
  for (const reporter of reporters) written.push(...(await reporter.render(result, { screen, outDir })));
  return written.map((file) => resolve(file));
}

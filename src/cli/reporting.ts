import { resolve } from 'node:path';
import { selectReporters } from '../reporters/registry.js';
import type { SavedResult } from '../reporters/types.js';
import { note, processScreen } from './screen.js';

/** Renders a saved result with the chosen reporters and says where files went. */
export async function renderReports(result: SavedResult, reporterList: string, outDir: string | undefined): Promise<void> {
  const reporters = await selectReporters(reporterList);
  const screen = processScreen();
  const written: string[] = [];
  for (const reporter of reporters) written.push(...(await reporter.render(result, { screen, outDir })));
  for (const file of written) note(`wrote ${resolve(file)}`);
}

export function timestampDir(base: string, label: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return resolve(base, `${stamp}-${label}`);
}

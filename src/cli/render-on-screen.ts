import { renderReports as render } from '../pipeline/render-reports.js';
import type { SavedResult } from '../reporters/types.js';
import { note, processScreen } from './screen.js';

/** Renders a saved result on this process's screen and says where files went. */
export async function renderReports(result: SavedResult, reporterList: string, outDir: string | undefined): Promise<void> {
  for (const file of await render(result, reporterList, outDir, processScreen())) note(`wrote ${file}`);
}

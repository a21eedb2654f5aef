import { EXIT, type ExitCode } from '../compare/exit-policy.js';
import { loadConfig } from '../config/load.js';
import { buildDashboard } from '../pipeline/dashboard.js';
import { historyLocation } from '../pipeline/history.js';
import { note } from './screen.js';

export async function dashboardCommand(flags: { db?: string; config?: string; out: string; nights?: number }): Promise<ExitCode> {
  const { dir, bytes } = await buildDashboard(historyLocation(flags.db, loadConfig(flags.config)), flags.out, flags.nights ? { nights: flags.nights } : {});
  note(`dashboard in ${dir} (data ${Math.round(bytes / 1024)} KiB): open ${dir}/index.html`);
  return EXIT.ok;
}

import { EXIT, type ExitCode } from '../compare/exit-policy.js';
import { InputError } from '../model/errors.js';
import { loadConfig } from '../config/load.js';
import { buildDashboard } from '../pipeline/dashboard.js';
import { historyLocation } from '../pipeline/history.js';
import { note } from './screen.js';

export async function dashboardCommand(flags: { db?: string; config?: string; out: string; nights?: number; links?: string }): Promise<ExitCode> {
  if (flags.links !== undefined && !/^https?:\/\/[^\s]+$/.test(flags.links)) throw new InputError(`--links: expected an http(s) URL, got "${flags.links}"`);
  const options = { ...(flags.nights ? { nights: flags.nights } : {}), ...(flags.links ? { linkBase: flags.links } : {}) };
  const { dir, bytes } = await buildDashboard(historyLocation(flags.db, loadConfig(flags.config)), flags.out, options);
  note(`dashboard in ${dir} (data ${Math.round(bytes / 1024)} KiB): open ${dir}/index.html`);
  return EXIT.ok;
}

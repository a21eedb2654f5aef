import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { InputError } from '../model/errors.js';
import { loadConfig } from '../config/load.js';
import { buildDashboard } from '../pipeline/dashboard.js';
import { historyLocation } from '../pipeline/history.js';
import { note } from './screen.js';

export async function dashboardCommand(flags: {
  db?: string;
  config?: string;
  out: string;
  nights?: number;
  links?: string;
  runs?: string[];
}): Promise<ExitCode> {
  if (flags.links !== undefined && !/^https?:\/\/[^\s]+$/.test(flags.links)) throw new InputError(`--links: expected an http(s) URL, got "${flags.links}"`);
  if (flags.links && flags.runs?.length)
    throw new InputError('--links and --runs: the run directories are published elsewhere (--links) or beside the site (--runs), not both');
  const options = {
    ...(flags.nights ? { nights: flags.nights } : {}),
    ...(flags.links ? { linkBase: flags.links.replace(/\/+$/, '') } : {}),
    ...(flags.runs?.length ? { runs: flags.runs } : {}),
  };
  const { dir, bytes, nightPages, publishedRuns } = await buildDashboard(historyLocation(flags.db, loadConfig(flags.config)), flags.out, options);
  note(
    `dashboard in ${dir} (data ${Math.round(bytes / 1024)} KiB, ${nightPages} night pages${flags.runs?.length ? `, ${publishedRuns} run directories published` : ''}): open ${dir}/index.html`,
  );
  return EXIT.ok;
}

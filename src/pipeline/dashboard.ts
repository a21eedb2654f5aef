import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { dashboardData } from '../history/dashboard-data.js';
import { outputDirectory, writeFileAtomic } from '../model/json-file.js';
import { withHistory } from './history.js';
import { PACKAGE_ROOT } from './paths.js';

const ASSETS = join(PACKAGE_ROOT, 'assets', 'dashboard');

/** JSON for a script file: nothing in it can close a tag or end a line early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * The static dashboard: index.html, app.js, style.css, the charting library from node_modules, and
 * data.js — the store's answers for the last `nights` nights. Opens from file:// and from GitHub Pages.
 */
export async function buildDashboard(
  location: string,
  outDir: string,
  options: { nights?: number; linkBase?: string } = {},
): Promise<{ dir: string; bytes: number }> {
  const data = await withHistory(location, (store) => dashboardData(store, options));
  const dir = resolve(outDir);
  outputDirectory(dir, 'dashboard -o', true);
  outputDirectory(join(dir, 'vendor'), 'the dashboard');
  // Every file through the one writer: a symlink planted in the output directory is replaced, never followed.
  for (const file of ['index.html', 'app.js', 'style.css']) writeFileAtomic(join(dir, file), readFileSync(join(ASSETS, file)));
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
  for (const file of ['uPlot.iife.min.js', 'uPlot.min.css']) writeFileAtomic(join(dir, 'vendor', file), readFileSync(join(uplot, file)));
  const script = `window.SVMTEST_DATA = ${scriptJson(data)};\n`;
  writeFileAtomic(join(dir, 'data.js'), script);
  writeFileAtomic(join(dir, '.nojekyll'), '');
  return { dir, bytes: Buffer.byteLength(script) };
}

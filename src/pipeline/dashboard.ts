import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { dashboardData } from '../history/dashboard-data.js';
import { writeFileAtomic } from '../model/json-file.js';
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
  mkdirSync(join(dir, 'vendor'), { recursive: true });
  for (const file of ['index.html', 'app.js', 'style.css']) copyFileSync(join(ASSETS, file), join(dir, file));
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
  for (const file of ['uPlot.iife.min.js', 'uPlot.min.css']) copyFileSync(join(uplot, file), join(dir, 'vendor', file));
  const script = `window.SVMTEST_DATA = ${scriptJson(data)};\n`;
  writeFileAtomic(join(dir, 'data.js'), script);
  writeFileSync(join(dir, '.nojekyll'), '');
  return { dir, bytes: Buffer.byteLength(script) };
}

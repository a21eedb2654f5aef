import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { dashboardData } from '../history/dashboard-data.js';
import { outputDirectory, writeFileAtomic } from '../model/json-file.js';
import { InputError } from '../model/errors.js';
import { readRun } from '../model/run-file.js';
import { nightReports } from '../history/night-reports.js';
import { nightPageName, renderNightPage, runDirName } from './night-page.js';
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

/** Run directories under `roots` (a ci output, downloaded artifacts), by the run id their run.json names. */
function runDirectories(roots: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (dir: string, depth: number) => {
    const runFile = join(dir, 'run.json');
    if (existsSync(runFile)) {
      try {
        found.set(readRun(runFile).run.id, dir);
      } catch {
        // not a run of ours: nothing to publish from it
      }
    }
    if (depth === 0) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory() && !entry.isSymbolicLink()) visit(join(dir, entry.name), depth - 1);
  };
  for (const root of roots) {
    if (!existsSync(root) || !statSync(root).isDirectory()) throw new InputError(`--runs ${root}: not a directory`);
    visit(resolve(root), 3);
  }
  return found;
}

/** Copies a run directory's run.json and logs (never its scratch) to the site, every file through the one writer. */
function publishRun(from: string, to: string): void {
  const copy = (src: string, dst: string) => {
    for (const entry of readdirSync(src, { withFileTypes: true })) {
      if (entry.name === 'tmp' || entry.name === 'run.lock' || entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) copy(join(src, entry.name), join(dst, entry.name));
      else if (entry.isFile()) writeFileAtomic(join(dst, entry.name), readFileSync(join(src, entry.name)));
    }
  };
  copy(from, to);
}

export interface DashboardOptions {
  readonly nights?: number;
  /** Where run directories are published by run id (a URL); logs link to `<linkBase>/<run id>/<log>`. */
  readonly linkBase?: string;
  /** Directories holding run directories to publish beside the site (`runs/<run id>/`), linked relatively. */
  readonly runs?: readonly string[];
}

/**
 * The static dashboard: index.html, app.js, style.css, the charting library from node_modules,
 * data.js — the store's answers for the last `nights` nights — and a page per nightly comparison
 * (nights/). With `runs`, the run directories are published beside it, so every log link works on
 * GitHub Pages; with `linkBase`, they are elsewhere under one URL by run id. Opens from file:// too.
 */
export async function buildDashboard(
  location: string,
  outDir: string,
  options: DashboardOptions = {},
): Promise<{ dir: string; bytes: number; nightPages: number; publishedRuns: number }> {
  const published = options.runs ? runDirectories(options.runs) : new Map<string, string>();
  const runsBase = options.linkBase ?? (options.runs ? 'runs' : undefined);
  const { data, nights } = await withHistory(location, async (store) => {
    const d = await dashboardData(store, { ...(options.nights ? { nights: options.nights } : {}), ...(runsBase ? { linkBase: runsBase } : {}) });
    return { data: d, nights: await nightReports(store, d.nights[0] ?? '9999') };
  });
  const dir = resolve(outDir);
  outputDirectory(dir, 'dashboard -o', true);
  outputDirectory(join(dir, 'vendor'), 'the dashboard');
  // Every file through the one writer: a symlink planted in the output directory is replaced, never followed.
  for (const file of ['index.html', 'app.js', 'style.css']) writeFileAtomic(join(dir, file), readFileSync(join(ASSETS, file)));
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
  for (const file of ['uPlot.iife.min.js', 'uPlot.min.css']) writeFileAtomic(join(dir, 'vendor', file), readFileSync(join(uplot, file)));
  const copied: string[] = [];
  if (options.runs) {
    outputDirectory(join(dir, 'runs'), 'the dashboard');
    const wanted = new Set(nights.flatMap((n) => [n.baseline.runId, n.candidate.runId]));
    for (const r of [...data.regressions, ...data.notRegressions]) wanted.add(r.runId);
    for (const id of wanted) {
      const from = published.get(id);
      if (!from) continue;
      publishRun(from, join(dir, 'runs', runDirName(id)));
      copied.push(id);
    }
  }
  outputDirectory(join(dir, 'nights'), 'the dashboard');
  // A night page links runs relative to itself (../runs) when they are published beside the site.
  const nightLinks = { ...(runsBase ? { runsBase: options.linkBase ?? '../runs' } : {}), ...(options.runs ? { published: new Set(copied) } : {}) };
  for (const report of nights) writeFileAtomic(join(dir, 'nights', nightPageName(report.night, report.gfx)), renderNightPage(report, nightLinks));
  const pages = nights.map((n) => ({ night: n.night, gfx: n.gfx, page: `nights/${nightPageName(n.night, n.gfx)}` }));
  const script = `window.SVMTEST_DATA = ${scriptJson({ ...data, nightPages: pages, ...(options.runs ? { published: copied } : {}) })};\n`;
  writeFileAtomic(join(dir, 'data.js'), script);
  writeFileAtomic(join(dir, '.nojekyll'), '');
  return { dir, bytes: Buffer.byteLength(script), nightPages: nights.length, publishedRuns: copied.length };
}

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { UserspaceBuild } from '../model/run.js';
import { sha } from './hash.js';

// The artifact cache's layout, in one place: <cache>/artifacts/<key>/{bzImage,config,modules/,manifest.json,build.log}
// and <cache>/artifacts/<variant>.latest naming the directory of a variant's newest build.

export interface ArtifactFiles {
  readonly dir: string;
  readonly kernel: string;
  readonly config: string;
  readonly modules: string;
  readonly manifest: string;
  readonly log: string;
}

export function artifactFiles(cacheDir: string, key: string): ArtifactFiles {
  const dir = join(cacheDir, 'artifacts', key);
  return {
    dir,
    kernel: join(dir, 'bzImage'),
    config: join(dir, 'config'),
    modules: join(dir, 'modules'),
    manifest: join(dir, 'manifest.json'),
    log: join(dir, 'build.log'),
  };
}

function latestPointer(cacheDir: string, variant: string): string {
  return join(cacheDir, 'artifacts', `${variant}.latest`);
}

export function recordLatest(cacheDir: string, variant: string, dir: string): void {
  writeFileSync(latestPointer(cacheDir, variant), dir);
}

/** The kernel (and module tree) of a variant's newest `svmtest build`, when there is one. */
export function latestBuild(cacheDir: string, variant: string): { kernel: string; modules?: string } | undefined {
  const pointer = latestPointer(cacheDir, variant);
  if (!existsSync(pointer)) return undefined;
  const dir = readFileSync(pointer, 'utf8').trim();
  if (!existsSync(join(dir, 'bzImage'))) return undefined;
  return { kernel: join(dir, 'bzImage'), ...(existsSync(join(dir, 'modules', 'lib', 'modules')) ? { modules: join(dir, 'modules') } : {}) };
}

// ROCm userspace: <cache>/userspace/<component>-<key>/{prefix/,build/,build.log,manifest.json} per
// component build, and per variant a view — <cache>/userspace/views/<variant>-<hash>/, the variant's
// components' prefixes linked into one tree, which suites find as {build} — named by
// <cache>/userspace/<variant>.latest.

export interface ComponentFiles {
  readonly dir: string;
  readonly prefix: string;
  readonly build: string;
  readonly log: string;
  /** Written last: a component build is complete (a cache hit) when its manifest exists. */
  readonly manifest: string;
}

export function componentFiles(cacheDir: string, component: string, key: string): ComponentFiles {
  const dir = join(cacheDir, 'userspace', `${component}-${key}`);
  return { dir, prefix: join(dir, 'prefix'), build: join(dir, 'build'), log: join(dir, 'build.log'), manifest: join(dir, 'manifest.json') };
}

export function userspaceViewDir(cacheDir: string, variant: string, hash: string): string {
  return join(cacheDir, 'userspace', 'views', `${variant}-${hash}`);
}

// One pointer per config file and variant: a run uses the build of its own config, never the
// newest build of the same variant name made from another config.
function userspacePointer(cacheDir: string, variant: string, configFile: string): string {
  return join(cacheDir, 'userspace', `${variant}-${sha(resolve(configFile)).slice(0, 12)}.latest`);
}

/** A {build} tree and what it was built from: written beside the view as <view>.json. */
export interface UserspaceProvenance extends UserspaceBuild {
  readonly view: string;
}

export function recordLatestUserspace(cacheDir: string, variant: string, configFile: string, provenance: UserspaceProvenance): void {
  writeFileSync(`${provenance.view}.json`, `${JSON.stringify(provenance, null, 1)}\n`);
  writeFileSync(userspacePointer(cacheDir, variant, configFile), provenance.view);
}

/** The {build} tree of this config's variant's newest `svmtest build` of its userspace, and what it was built from. */
export function latestUserspace(cacheDir: string, variant: string, configFile: string): UserspaceProvenance | undefined {
  const pointer = userspacePointer(cacheDir, variant, configFile);
  if (!existsSync(pointer)) return undefined;
  const view = readFileSync(pointer, 'utf8').trim();
  if (!existsSync(view)) return undefined;
  try {
    return JSON.parse(readFileSync(`${view}.json`, 'utf8')) as UserspaceProvenance;
  } catch {
    return { view, digest: 'unknown', components: [] };
  }
}

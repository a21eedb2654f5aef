import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../model/errors.js';
import { NODE_BUNDLE_OPTIONS } from '../../model/node-bundle.js';
import { PACKAGE_ROOT } from '../../model/package-root.js';
import { pruneOlder } from '../../model/cache-prune.js';

// What svmtest reads beside its code at run time (the built-in config, suites and its version).
// The fork server's source goes too: the engine in the job compiles it where the DUT has a C compiler.
const ASSETS = ['package.json', 'config', 'suites', 'assets/fork-server'];

/** The CLI's own bundle (`.mjs` files, made by `npm run build` from the same code) is not hashed again. */
function digestOf(paths: readonly string[]): string {
  const hash = createHash('sha256');
  const visit = (path: string) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path).sort()) visit(join(path, name));
    else if (!path.endsWith('.mjs')) hash.update(path).update(readFileSync(path));
  };
  for (const path of paths) visit(path);
  return hash.digest('hex').slice(0, 16);
}

/**
 * svmtest for a LAVA job: its engine and the job's entry each bundled into one file (esbuild),
 * beside the assets it reads; made once per svmtest build and cached. The history store's drivers
 * stay out: a job runs tests, it never opens the store.
 */
export async function svmtestBundle(cacheDir: string, note: (message: string) => void): Promise<string> {
  const dist = join(PACKAGE_ROOT, 'dist');
  if (!existsSync(join(dist, 'cli', 'index.js'))) throw new InfraError(`${dist}: svmtest is not built (npm run build)`);
  const key = digestOf([dist, ...ASSETS.map((a) => join(PACKAGE_ROOT, a))]);
  const out = join(cacheDir, 'lava', `svmtest-${key}`);
  if (existsSync(out)) return out;
  note('bundling svmtest for the LAVA job (once per svmtest build)');
  const stage = `${out}.stage-${process.pid}-${randomBytes(4).toString('hex')}`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'dist', 'cli'), { recursive: true });
  const { build } = await import('esbuild');
  try {
    await build({
      entryPoints: { svmtest: join(dist, 'cli', 'index.js'), job: join(dist, 'targets', 'lava', 'job-entry.js') },
      ...NODE_BUNDLE_OPTIONS,
      outdir: join(stage, 'dist', 'cli'),
      external: [...NODE_BUNDLE_OPTIONS.external],
      logLevel: 'silent',
    });
  } catch (error) {
    throw new InfraError(`bundling svmtest for the LAVA job failed: ${(error as Error).message.split('\n')[0]}`);
  }
  for (const asset of ASSETS) cpSync(join(PACKAGE_ROOT, asset), join(stage, asset), { recursive: true });
  try {
    renameSync(stage, out);
    pruneOlder(join(cacheDir, 'lava'), /^svmtest-[0-9a-f]{16}$/, 2);
  } catch (error) {
    // Another svmtest made the same bundle first: theirs is as good.
    rmSync(stage, { recursive: true, force: true });
    if (!existsSync(out)) throw error;
  }
  return out;
}

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../model/package-root.js';

export const FORK_SERVER_SOURCE = join(PACKAGE_ROOT, 'assets', 'fork-server', 'fork-server.c');

const built = new Map<string, Promise<{ library: string } | { unavailable: string }>>();

/**
 * The fork server's library, compiled once per source into the cache with this machine's C
 * compiler (`cc`), or why it cannot be: a machine without one runs every test with its own exec.
 */
export function forkServerLibrary(cacheDir: string): Promise<{ library: string } | { unavailable: string }> {
  let promise = built.get(cacheDir);
  if (!promise) {
    promise = compile(cacheDir);
    built.set(cacheDir, promise);
  }
  return promise;
}

async function compile(cacheDir: string): Promise<{ library: string } | { unavailable: string }> {
  let source: Buffer;
  try {
    source = readFileSync(FORK_SERVER_SOURCE);
  } catch {
    return { unavailable: `${FORK_SERVER_SOURCE} is missing from this installation` };
  }
  const dir = join(cacheDir, 'fork-server');
  const library = join(dir, `fork-server-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.so`);
  if (existsSync(library)) return { library };
  mkdirSync(dir, { recursive: true });
  // Compiled beside its final name and renamed: a concurrent svmtest never loads half a library.
  const partial = `${library}.${process.pid}.tmp`;
  const failure = await new Promise<string | undefined>((resolve) => {
    execFile('cc', ['-O2', '-shared', '-fPIC', '-o', partial, FORK_SERVER_SOURCE, '-ldl'], { timeout: 60_000 }, (error, _stdout, stderr) =>
      resolve(
        error
          ? `cc could not compile it (${(error as NodeJS.ErrnoException).code ?? error.message}): ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`
          : undefined,
      ),
    );
  });
  if (failure) {
    rmSync(partial, { force: true });
    return { unavailable: failure };
  }
  renameSync(partial, library);
  return { library };
}

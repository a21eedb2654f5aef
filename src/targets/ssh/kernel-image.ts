import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The release an x86 bzImage says it is: the boot protocol's kernel_version field (offset 0x20E)
 * points, 0x200 bytes on, at "6.1.0-28-amd64 (builder@host) #1 SMP …".
 */
export function bzImageRelease(image: string): string | undefined {
  const fd = openSync(image, 'r');
  try {
    const header = Buffer.alloc(0x210);
    if (readSync(fd, header, 0, header.length, 0) < header.length) return undefined;
    if (header.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
    const pointer = header.readUInt16LE(0x20e);
    if (pointer === 0) return undefined;
    const text = Buffer.alloc(128);
    readSync(fd, text, 0, text.length, pointer + 0x200);
    const version = text.toString('latin1').split('\0')[0] ?? '';
    return /^\S+/.exec(version)?.[0];
  } finally {
    closeSync(fd);
  }
}

/** The release of a module tree DIR/lib/modules/<release>, when there is exactly one. */
export function modulesRelease(modulesDir: string): string | undefined {
  try {
    const releases = readdirSync(join(modulesDir, 'lib', 'modules'));
    return releases.length === 1 ? releases[0] : undefined;
  } catch {
    return undefined;
  }
}

export function contentKey(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
}

/** sha256 of files' contents, in order, with their names: what a deployed kernel directory holds. */
export function filesDigest(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(`${file.split('/').pop()}\0`)
      .update(readFileSync(file))
      .update('\0');
  return hash.digest('hex');
}

/**
 * A module tree's fingerprint: every file's relative path, size and modification time. Reading
 * 400 MB of modules on each deploy would cost more than copying them; a rebuilt tree changes times.
 */
export function treeFingerprint(dir: string): string {
  const hash = createHash('sha256');
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else {
        const stat = lstatSync(join(dir, rel), { bigint: true });
        hash.update(`${rel}\0${stat.size}\0${stat.mtimeNs}\n`);
      }
    }
  };
  walk('');
  return hash.digest('hex');
}

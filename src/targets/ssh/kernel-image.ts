import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
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

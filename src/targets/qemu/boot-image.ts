import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { pruneOlder } from '../../model/cache-prune.js';
import { hasPvhEntry } from './elf-notes.js';

/** What QEMU's -kernel gets, and how the guest will start. */
export interface BootImage {
  readonly path: string;
  /** pvh: the kernel's own ELF entered directly; bzImage: the image as given, which unpacks itself in the guest. */
  readonly how: 'pvh' | 'bzImage';
  /** Why, in a sentence for the run's notes. */
  readonly why: string;
}

// Extracted kernels are ~60 MB each; a bisect makes one per step. The newest few stay.
const KEEP_EXTRACTED = 4;

// The bzImage payload's compressor, from its first bytes, and how to undo it. The kernel's build
// appends the unpacked size (4 bytes) to every payload but gzip's, whose trailer holds it already.
const COMPRESSORS: ReadonlyArray<{ name: string; magic: Buffer; unpack: (payload: Buffer, out: string) => Promise<void> }> = [
  { name: 'gzip', magic: Buffer.from([0x1f, 0x8b]), unpack: async (payload, out) => writeFileSync(out, await promisify(gunzip)(payload)) },
  {
    name: 'xz',
    magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
    unpack: (payload, out) => tool('xz', ['--decompress', '--stdout', '--single-stream'], payload, out),
  },
  {
    name: 'zstd',
    magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
    unpack: (payload, out) => tool('zstd', ['--decompress', '--stdout', '--quiet'], payload.subarray(0, payload.length - 4), out),
  },
];

async function tool(program: string, args: string[], input: Buffer, out: string): Promise<void> {
  // Straight into the file's descriptor (node's spawn): through node's streams (execa's { file }) it took 1.7 s, not 0.7.
  const fd = openSync(out, 'w');
  try {
    const failure = await new Promise<string | undefined>((resolve) => {
      const child = spawn(program, args, { stdio: ['pipe', fd, 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin!.on('error', () => undefined); // a tool that dies early closes its input: its exit says why
      child.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ENOENT' ? `${program} is not installed` : error.message));
      child.on('close', (code, signal) =>
        resolve(code === 0 ? undefined : `${program} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n')[0] ?? ''}`),
      );
      child.stdin!.end(input);
    });
    if (failure) throw new Error(failure);
  } finally {
    closeSync(fd);
  }
}

/** The compressed kernel inside an x86 bzImage (boot protocol 2.08+: payload_offset, payload_length), or why not. */
export function bzImagePayload(image: Buffer): Buffer | string {
  if (image.length < 0x250 || image.toString('latin1', 0x202, 0x206) !== 'HdrS') return 'not an x86 bzImage';
  if (image.readUInt16LE(0x206) < 0x208) return 'its boot protocol predates 2.08 (no payload fields)';
  const setupSectors = image[0x1f1] || 4;
  const start = (setupSectors + 1) * 512 + image.readUInt32LE(0x248);
  const end = start + image.readUInt32LE(0x24c);
  if (end > image.length || end <= start) return 'its payload fields point outside the file';
  return image.subarray(start, end);
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

function startsWith(buffer: Buffer, magic: Buffer): boolean {
  return buffer.length >= magic.length && buffer.subarray(0, magic.length).equals(magic);
}

function fileHead(path: string, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(length);
    return head.subarray(0, readSync(fd, head, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

const made = new Map<string, Promise<BootImage>>();

// The same words whether this run unpacked it or found it cached: runs of one kernel say the same.
const unpacked = (path: string): BootImage => ({
  path,
  how: 'pvh',
  why: 'kernel booted through its PVH entry (its ELF, unpacked once from the bzImage into the cache)',
});

/**
 * The kernel as QEMU should boot it. A bzImage unpacks itself in the guest before the kernel's
 * first line: xz under TCG took 3.1 s of a 5.5 s boot to userspace here. The ELF inside, entered
 * through its PVH note, skips that and the real-mode setup (2.4 s to userspace). It is unpacked once
 * per image into the cache. Kernels without a PVH entry (CONFIG_PVH), or whose compressor has no
 * tool here, boot as given.
 */
export async function bootImage(kernel: string, cacheDir: string): Promise<BootImage> {
  const { size, mtimeMs, ino } = statSync(kernel);
  const key = JSON.stringify([kernel, size, mtimeMs, ino, cacheDir]);
  const known = made.get(key);
  // Another svmtest sharing the cache may have pruned it since: unpacked again.
  if (known && existsSync((await known).path)) return known;
  const promise = resolveImage(kernel, cacheDir);
  made.set(key, promise);
  return promise;
}

/** The image a boot uses: the one resolved at the run's start while it is there (a guest reboots hours later). */
export async function stillBootable(image: BootImage, kernel: string, cacheDir: string): Promise<BootImage> {
  return existsSync(image.path) ? image : bootImage(kernel, cacheDir);
}

async function resolveImage(kernel: string, cacheDir: string): Promise<BootImage> {
  const asGiven = (why: string): BootImage => ({ path: kernel, how: 'bzImage', why: `kernel booted as given: ${why}` });
  // An ELF is looked at in place (its notes), never read whole: it is ~60 MB.
  if (startsWith(fileHead(kernel, ELF_MAGIC.length), ELF_MAGIC)) {
    return hasPvhEntry(kernel)
      ? { path: kernel, how: 'pvh', why: 'kernel ELF booted through its PVH entry' }
      : asGiven('an ELF kernel without a PVH entry (CONFIG_PVH)');
  }
  const image = readFileSync(kernel);
  const dir = join(cacheDir, 'kernels');
  const base = join(dir, `vmlinux-${createHash('sha256').update(image).digest('hex').slice(0, 16)}`);
  const refused = `${base}.refused`;
  if (existsSync(base)) {
    // Its time of use orders the pruning: the kernels in use stay.
    const now = new Date();
    utimesSync(base, now, now);
    return unpacked(base);
  }
  // A kernel without a PVH entry is remembered as such: it is not unpacked again to find out.
  if (existsSync(refused)) return asGiven(readFileSync(refused, 'utf8'));
  const payload = bzImagePayload(image);
  if (typeof payload === 'string') return asGiven(payload);
  const compressor = COMPRESSORS.find((c) => startsWith(payload, c.magic));
  if (!compressor) return asGiven(`its payload's compressor is not one svmtest unpacks (${COMPRESSORS.map((c) => c.name).join(', ')})`);
  mkdirSync(dir, { recursive: true });
  // Unpacked beside its final name and renamed: a concurrent svmtest never boots half a kernel.
  const partial = `${base}.${process.pid}.tmp`;
  try {
    await compressor.unpack(payload, partial);
    if (!hasPvhEntry(partial)) {
      rmSync(partial, { force: true });
      const why = 'it has no PVH entry (CONFIG_PVH), so it unpacks itself in the guest';
      writeFileSync(refused, why);
      return asGiven(why);
    }
    renameSync(partial, base);
  } catch (error) {
    rmSync(partial, { force: true });
    // A missing tool is this machine's state, not the kernel's: not remembered.
    return asGiven(`its ${compressor.name} payload could not be unpacked here (${(error as Error).message}), so it unpacks itself in the guest`);
  }
  pruneOlder(dir, /^vmlinux-[0-9a-f]{16}$/, KEEP_EXTRACTED);
  return unpacked(base);
}

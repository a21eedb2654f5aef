import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bootImage, bzImagePayload, stillBootable } from '../../src/targets/qemu/boot-image.js';
import { elfNotes, hasPvhEntry } from '../../src/targets/qemu/elf-notes.js';
import { tempDir } from '../helpers/cli.js';

// The layouts as the ELF gABI and the x86 boot protocol (Documentation/x86/boot.rst) define them;
// the real Debian kernel goes through the same code in the QEMU e2e tests.

function note(name: string, type: number, desc: Buffer): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'latin1');
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(nameBytes.length, 0);
  head.writeUInt32LE(desc.length, 4);
  head.writeUInt32LE(type, 8);
  return Buffer.concat([head, pad(nameBytes), pad(desc)]);
}

/** A minimal ELF64 little-endian file: a PT_LOAD, then a PT_NOTE holding the notes, then a body. */
function elf(notes: Buffer[], body = Buffer.alloc(4096, 0x90)): Buffer {
  const notesBytes = Buffer.concat(notes);
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // ELFCLASS64
  header[5] = 1; // little-endian
  header[6] = 1;
  header.writeUInt16LE(2, 0x10); // ET_EXEC
  header.writeUInt16LE(62, 0x12); // x86-64
  header.writeBigUInt64LE(64n, 0x20); // program headers right after
  header.writeUInt16LE(64, 0x34);
  header.writeUInt16LE(56, 0x36);
  header.writeUInt16LE(2, 0x38);
  const notesAt = 64 + 2 * 56;
  const ph = (type: number, offset: number, size: number, align: number) => {
    const b = Buffer.alloc(56);
    b.writeUInt32LE(type, 0);
    b.writeBigUInt64LE(BigInt(offset), 8);
    b.writeBigUInt64LE(BigInt(size), 32);
    b.writeBigUInt64LE(BigInt(align), 48);
    return b;
  };
  return Buffer.concat([header, ph(1, notesAt + notesBytes.length, body.length, 4096), ph(4, notesAt, notesBytes.length, 4), notesBytes, body]);
}

const PVH_NOTE = note('Xen', 18, Buffer.from([0x50, 0x08, 0x00, 0x01]));
const BUILD_ID = note('GNU', 3, Buffer.alloc(20, 0xab));

/** An x86 bzImage around a payload: one setup sector after the boot sector, boot protocol 2.15. */
function bzImage(payload: Buffer): Buffer {
  const setup = Buffer.alloc(1024);
  setup[0x1f1] = 1;
  setup.write('HdrS', 0x202, 'latin1');
  setup.writeUInt16LE(0x020f, 0x206);
  const decompressor = Buffer.alloc(300, 0xcc); // the payload sits after the decompressor's code
  setup.writeUInt32LE(decompressor.length, 0x248);
  setup.writeUInt32LE(payload.length, 0x24c);
  return Buffer.concat([setup, decompressor, payload, Buffer.alloc(64)]);
}

/** As the kernel's build appends it to every payload but gzip's: the unpacked size, 4 bytes. */
const withSize = (packed: Buffer, size: number) => {
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(size, 0);
  return Buffer.concat([packed, tail]);
};

function write(dir: string, name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('ELF notes', () => {
  it('reads each note of a PT_NOTE segment, and a PVH entry only from the Xen note of type 18', () => {
    const dir = tempDir();
    const withPvh = write(dir, 'pvh', elf([BUILD_ID, PVH_NOTE]));
    expect(elfNotes(withPvh)).toEqual([
      { name: 'GNU', type: 3 },
      { name: 'Xen', type: 18 },
    ]);
    expect(hasPvhEntry(withPvh)).toBe(true);
    expect(hasPvhEntry(write(dir, 'plain', elf([BUILD_ID, note('Xen', 17, Buffer.alloc(4))])))).toBe(false);
    expect(hasPvhEntry(write(dir, 'text', Buffer.from('not an ELF file at all, long enough to hold a header……………………………………')))).toBe(false);
    expect(hasPvhEntry(write(dir, 'short', Buffer.from([0x7f, 0x45, 0x4c, 0x46])))).toBe(false);
  });
});

describe('the image QEMU boots', () => {
  it("finds a bzImage's payload from its header, and says why a file has none", () => {
    const payload = Buffer.from('payload bytes');
    expect(bzImagePayload(bzImage(payload))).toEqual(payload);
    expect(bzImagePayload(Buffer.alloc(4096))).toBe('not an x86 bzImage');
    const old = bzImage(payload);
    old.writeUInt16LE(0x0204, 0x206);
    expect(bzImagePayload(old)).toMatch(/predates 2\.08/);
    const lying = bzImage(payload);
    lying.writeUInt32LE(1 << 30, 0x24c);
    expect(bzImagePayload(lying)).toMatch(/outside the file/);
  });

  it.each([
    ['gzip', (e: Buffer) => gzipSync(e)],
    ['xz', (e: Buffer) => withSize(execFileSync('xz', ['--format=xz', '--check=crc32', '--stdout'], { input: e }), e.length)],
    ['zstd', (e: Buffer) => withSize(execFileSync('zstd', ['--stdout', '--quiet'], { input: e }), e.length)],
  ])('unpacks a %s bzImage with a PVH entry once into the cache, byte for byte, and boots that', async (_name, pack) => {
    const dir = tempDir();
    const kernel = elf([BUILD_ID, PVH_NOTE]);
    const image = write(dir, 'bzImage', bzImage(pack(kernel)));
    const first = await bootImage(image, join(dir, 'cache'));
    expect(first).toEqual({
      path: expect.stringMatching(/\/cache\/kernels\/vmlinux-[0-9a-f]{16}$/),
      how: 'pvh',
      why: 'kernel booted through its PVH entry (its ELF, unpacked once from the bzImage into the cache)',
    });
    expect(readFileSync(first.path)).toEqual(kernel);
    // A copy of the same image (another path) finds it in the cache: keyed by content.
    const copy = write(dir, 'copy', readFileSync(image));
    const again = await bootImage(copy, join(dir, 'cache'));
    expect(again).toEqual(first);
    expect(readdirSync(join(dir, 'cache', 'kernels'))).toEqual([first.path.split('/').pop()]);
  });

  it('boots as given, and says why: no PVH entry (remembered), a compressor it does not unpack, not a bzImage, a payload that will not unpack (not remembered)', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const noPvh = write(dir, 'no-pvh', bzImage(gzipSync(elf([BUILD_ID]))));
    expect(await bootImage(noPvh, cache)).toEqual({
      path: noPvh,
      how: 'bzImage',
      why: 'kernel booted as given: it has no PVH entry (CONFIG_PVH), so it unpacks itself in the guest',
    });
    expect(readdirSync(join(cache, 'kernels'))).toEqual([expect.stringMatching(/^vmlinux-[0-9a-f]{16}\.refused$/)]);
    expect((await bootImage(write(dir, 'no-pvh-copy', readFileSync(noPvh)), cache)).why).toMatch(/no PVH entry/);

    const bzip2 = write(dir, 'bzip2', bzImage(Buffer.from('BZh91AY&SY-not-really')));
    expect((await bootImage(bzip2, cache)).why).toBe("kernel booted as given: its payload's compressor is not one svmtest unpacks (gzip, xz, zstd)");
    const notKernel = write(dir, 'not-a-kernel', Buffer.alloc(8192, 0x5a));
    expect(await bootImage(notKernel, cache)).toMatchObject({ path: notKernel, how: 'bzImage', why: 'kernel booted as given: not an x86 bzImage' });

    const broken = write(dir, 'broken-xz', bzImage(Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(64, 1)])));
    const result = await bootImage(broken, cache);
    expect(result).toMatchObject({ path: broken, how: 'bzImage' });
    expect(result.why).toMatch(
      /^kernel booted as given: its xz payload could not be unpacked here \(xz failed \(exit 1\): .+\), so it unpacks itself in the guest$/,
    );
    // Only the kernel without a PVH entry is remembered: the others cost nothing to look at again, and
    // a broken payload or a missing tool may do better on a later try.
    expect(readdirSync(join(cache, 'kernels'))).toHaveLength(1);
  });

  it('an unpacked kernel another svmtest pruned from the cache is unpacked again for the next boot', async () => {
    const dir = tempDir();
    const image = write(dir, 'bzImage', bzImage(gzipSync(elf([PVH_NOTE]))));
    const first = await bootImage(image, join(dir, 'cache'));
    expect(await stillBootable(first, image, join(dir, 'cache'))).toBe(first);
    rmSync(first.path);
    const again = await stillBootable(first, image, join(dir, 'cache'));
    expect(again.path).toBe(first.path);
    expect(existsSync(again.path)).toBe(true);
  });

  it('an ELF kernel is booted as it is: through its PVH entry when it has one', async () => {
    const dir = tempDir();
    const withPvh = write(dir, 'vmlinux', elf([PVH_NOTE]));
    expect(await bootImage(withPvh, join(dir, 'cache'))).toEqual({ path: withPvh, how: 'pvh', why: 'kernel ELF booted through its PVH entry' });
    const without = write(dir, 'vmlinux-plain', elf([BUILD_ID]));
    expect((await bootImage(without, join(dir, 'cache'))).how).toBe('bzImage');
    expect(existsSync(join(dir, 'cache', 'kernels'))).toBe(false);
  });
});

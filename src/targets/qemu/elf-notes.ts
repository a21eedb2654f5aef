import { closeSync, openSync, readSync } from 'node:fs';

const PT_NOTE = 4;
// The x86/HVM direct boot ABI's entry point, a Xen ELF note (XEN_ELFNOTE_PHYS32_ENTRY): QEMU's
// -kernel enters an ELF kernel there, in 32-bit protected mode, with no decompressor and no setup code.
const XEN_ELFNOTE_PHYS32_ENTRY = 18;
// Far more than a kernel's notes (a few hundred bytes): a corrupt size reads no further.
const MAX_NOTES_BYTES = 1 << 20;

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * The notes (name and type) of a 64-bit little-endian ELF file's PT_NOTE segments, read from the
 * file in place: a kernel's ELF is ~60 MB, its headers and notes a few KB.
 */
export function elfNotes(file: string): Array<{ name: string; type: number }> {
  const fd = openSync(file, 'r');
  const read = (offset: number, length: number): Buffer => {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, offset));
  };
  try {
    const header = read(0, 64);
    // ELF64 (class 2), little-endian (data 1): what an x86-64 kernel is.
    if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return [];
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    if (phentsize < 56) return [];
    const table = read(Number(header.readBigUInt64LE(0x20)), phentsize * phnum);
    const notes: Array<{ name: string; type: number }> = [];
    for (let ph = 0; ph + 56 <= table.length; ph += phentsize) {
      if (table.readUInt32LE(ph) !== PT_NOTE) continue;
      const segment = read(Number(table.readBigUInt64LE(ph + 8)), Math.min(MAX_NOTES_BYTES, Number(table.readBigUInt64LE(ph + 32))));
      const wordAlign = Number(table.readBigUInt64LE(ph + 48)) === 8 ? 8 : 4;
      for (let at = 0; at + 12 <= segment.length; ) {
        const nameSize = segment.readUInt32LE(at);
        const descSize = segment.readUInt32LE(at + 4);
        const name = segment.toString('latin1', at + 12, Math.min(segment.length, at + 12 + nameSize)).replace(/\0+$/, '');
        notes.push({ name, type: segment.readUInt32LE(at + 8) });
        at += 12 + align(nameSize, wordAlign) + align(descSize, wordAlign);
      }
    }
    return notes;
  } finally {
    closeSync(fd);
  }
}

export function hasPvhEntry(file: string): boolean {
  return elfNotes(file).some((n) => n.name === 'Xen' && n.type === XEN_ELFNOTE_PHYS32_ENTRY);
}

import { describe, expect, it } from 'vitest';
import type { KernelRecord } from '../../src/parsers/kernel-record.js';
import { KmsgRecords } from '../../src/targets/host-kmsg.js';

/** A /dev/kmsg read: `pri,seq,usec,flags;text`, then its dictionary lines. */
const kmsg = (seq: number, seconds: number, text: string, dictionary = '') => `6,${seq},${Math.round(seconds * 1e6)},-;${text}\n${dictionary}`;

describe('the host kernel log read from /dev/kmsg', () => {
  it('gives the records after the replayed backlog, without their dictionary lines', () => {
    const seen: KernelRecord[] = [];
    const records = new KmsgRecords((r) => seen.push(r));
    records.skip(kmsg(1, 50, 'before the run'));
    records.take(kmsg(2, 100.5, 'amdgpu: page fault', ' SUBSYSTEM=pci\n DEVICE=+pci:0000:03:00.0\n'));
    expect(seen.map((r) => [r.timestamp, r.text])).toEqual([[100.5, 'amdgpu: page fault']]);
    expect(records.lost).toBe(0);
  });

  it('counts records overwritten before they were read (a gap in the sequence), not the backlog’s', () => {
    const seen: string[] = [];
    const records = new KmsgRecords((r) => seen.push(r.text));
    records.skip(kmsg(10, 20, 'old'));
    records.skip(kmsg(500, 30, 'old, after old ones were overwritten'));
    records.take(kmsg(501, 101, 'one'));
    records.take(kmsg(520, 102, 'after a flood overwrote 18'));
    expect(seen).toEqual(['one', 'after a flood overwrote 18']);
    expect(records.lost).toBe(18);
  });

  it('ignores what is not a kmsg record', () => {
    const records = new KmsgRecords(() => expect.fail('no record'));
    records.take('not a record\n');
    records.take('');
    expect(records.lost).toBe(0);
  });
});

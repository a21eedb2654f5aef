import { describe, expect, it } from 'vitest';
import type { KernelRecord } from '../../src/parsers/kernel-record.js';
import { KmsgRecords } from '../../src/targets/host-kmsg.js';

/** A /dev/kmsg read: `pri,seq,usec,flags;text`, then its dictionary lines. */
const kmsg = (seq: number, seconds: number, text: string, dictionary = '') => `6,${seq},${Math.round(seconds * 1e6)},-;${text}\n${dictionary}`;

describe('the host kernel log read from /dev/kmsg', () => {
  it('keeps records from the start of the watch, without their dictionary lines', () => {
    const seen: KernelRecord[] = [];
    const records = new KmsgRecords(100, (r) => seen.push(r));
    records.take(kmsg(1, 50, 'before the run'));
    records.take(kmsg(2, 100.5, 'amdgpu: page fault', ' SUBSYSTEM=pci\n DEVICE=+pci:0000:03:00.0\n'));
    expect(seen.map((r) => [r.timestamp, r.text])).toEqual([[100.5, 'amdgpu: page fault']]);
    expect(records.lost).toBe(0);
  });

  it('counts records overwritten before they were read (a gap in the sequence), not the replayed buffer’s', () => {
    const seen: string[] = [];
    const records = new KmsgRecords(100, (r) => seen.push(r.text));
    records.take(kmsg(10, 20, 'old'));
    records.take(kmsg(500, 30, 'old, after old ones were overwritten')); // before the watch: not counted
    records.take(kmsg(501, 101, 'one'));
    records.take(kmsg(520, 102, 'after a flood overwrote 18'));
    expect(seen).toEqual(['one', 'after a flood overwrote 18']);
    expect(records.lost).toBe(18);
  });

  it('ignores what is not a kmsg record', () => {
    const records = new KmsgRecords(0, () => expect.fail('no record'));
    records.take('not a record\n');
    records.take('');
    expect(records.lost).toBe(0);
  });
});

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { KmsgWriter, kmsgWritesPerOpen } from '../../src/targets/host-kmsg.js';

/** How many of this test's lines the host's kernel log holds (plain info lines: no kernel event, no mark). */
async function linesLogged(tag: string): Promise<number> {
  const { stdout } = await execa('dmesg', ['--raw']);
  return stdout.split('\n').filter((line) => line.includes(tag)).length;
}

describe('kernel marks written into the host kernel log', () => {
  const printkDevkmsg = readFileSync('/proc/sys/kernel/printk_devkmsg', 'utf8').trim();

  it('every record of a burst arrives: a file is never written past the kernel’s per-open rate limit', async () => {
    const tag = `svmtest-unit-kmsg-${randomBytes(4).toString('hex')}`;
    const writer = new KmsgWriter('/dev/kmsg', kmsgWritesPerOpen(printkDevkmsg));
    for (let i = 0; i < 35; i++) writer.write(`${tag} ${i}`);
    writer.close();
    expect(await linesLogged(tag), 'writing /dev/kmsg needs root (run the unit tests as root)').toBe(35);
  });

  it('one open for the whole burst loses records where the kernel rate-limits (the control)', async () => {
    expect(kmsgWritesPerOpen('on\n')).toBe(Number.POSITIVE_INFINITY);
    expect(kmsgWritesPerOpen('ratelimit\n')).toBe(10);
    if (printkDevkmsg !== 'ratelimit') return; // the kernel lets every write through here
    const tag = `svmtest-unit-kmsg-${randomBytes(4).toString('hex')}`;
    const writer = new KmsgWriter('/dev/kmsg', Number.POSITIVE_INFINITY);
    for (let i = 0; i < 35; i++) writer.write(`${tag} ${i}`);
    writer.close();
    expect(await linesLogged(tag)).toBe(10);
  });
});

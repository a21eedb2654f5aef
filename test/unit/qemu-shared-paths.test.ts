import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedWithHost } from '../../src/targets/qemu/qemu-target.js';

describe('which paths a QEMU guest sees as this machine has them', () => {
  it('files of the shared root are read here, present or not', () => {
    expect(sharedWithHost('/usr/bin/env')).toBe(true);
    // Missing here is missing in the guest too: no round trip to find that out.
    expect(sharedWithHost('/opt/rocm-that-is-not-here/.info/version')).toBe(true);
  });

  it("the guest's own trees, relative paths and .. are asked of the guest", () => {
    for (const path of [
      '/proc/config.gz',
      '/sys/class/kfd/kfd/topology/nodes',
      '/dev/kfd',
      '/run/x',
      '/tmp/x',
      '/var/tmp/x',
      '/lib/modules/6.1/modules.dep',
      'usr/bin/env',
      '/usr/../proc/x',
    ])
      expect(sharedWithHost(path), path).toBe(false);
  });

  it('a symlink that leads into a tree of the guest is asked of the guest', () => {
    // The guest's trees are given, so the test holds wherever the checkout and the temporary directory are.
    const dir = mkdtempSync(join(tmpdir(), 'shared-paths-'));
    const guestOwn = [join(dir, 'guest')];
    try {
      mkdirSync(join(dir, 'guest'));
      mkdirSync(join(dir, 'host'));
      symlinkSync(join(dir, 'guest'), join(dir, 'host', 'guest-link'));
      expect(sharedWithHost(join(dir, 'host', 'guest-link', 'config.gz'), guestOwn)).toBe(false);
      expect(sharedWithHost(join(dir, 'host', 'guest-link', 'missing', 'file'), guestOwn)).toBe(false);
      expect(sharedWithHost(join(dir, 'host', 'missing', 'file'), guestOwn)).toBe(true);
      expect(sharedWithHost(join(dir, 'guest', 'file'), guestOwn)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

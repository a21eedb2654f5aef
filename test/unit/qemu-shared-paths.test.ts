import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedWithHost } from '../../src/targets/qemu/qemu-target.js';
import { REPO_ROOT } from '../helpers/paths.js';

describe('which paths a QEMU guest sees as this machine has them', () => {
  it('files of the shared root are read here, present or not', () => {
    expect(sharedWithHost('/usr/bin/env')).toBe(true);
    expect(sharedWithHost(join(REPO_ROOT, 'package.json'))).toBe(true);
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
    // Outside /tmp (the guest's own): in the checkout's ignored test directory.
    mkdirSync(join(REPO_ROOT, 'test', '.tmp'), { recursive: true });
    const dir = mkdtempSync(join(REPO_ROOT, 'test', '.tmp', 'shared-paths-'));
    try {
      symlinkSync('/proc', join(dir, 'proc-link'));
      symlinkSync('/tmp', join(dir, 'tmp-link'));
      expect(sharedWithHost(join(dir, 'proc-link', 'config.gz'))).toBe(false);
      expect(sharedWithHost(join(dir, 'tmp-link', 'missing', 'file'))).toBe(false);
      expect(sharedWithHost(join(dir, 'missing', 'file'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

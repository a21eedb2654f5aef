import { describe, expect, it } from 'vitest';
import { qemuArgv } from '../../src/targets/qemu/qemu-command.js';

const input = { kernel: '/k', initramfs: '/i', runDir: '/r', boot: 2, memoryMiB: 512, cpus: 2, cmdline: ['amdgpu.svm=1'], vfio: [], network: false };
const appended = (argv: string[]) => argv[argv.indexOf('-append') + 1]!.split(' ');

describe('the QEMU command line', () => {
  it('an emulated guest keeps its TSC as the clock (it fails the sync check and would read the HPET); KVM is left to the kernel', () => {
    const tcg = appended(qemuArgv({ ...input, accel: 'tcg' }));
    expect(tcg).toContain('tsc=reliable');
    // The variant's own arguments come last: they can say otherwise.
    expect(tcg.indexOf('tsc=reliable')).toBeLessThan(tcg.indexOf('amdgpu.svm=1'));
    expect(appended(qemuArgv({ ...input, accel: 'kvm' }))).not.toContain('tsc=reliable');
  });

  it('an argument vector: the run and agent directories as kernel arguments, never a shell string', () => {
    const argv = qemuArgv({ ...input, accel: 'tcg' });
    expect(appended(argv)).toEqual(expect.arrayContaining(['svmtest.run=/r', 'svmtest.agent=.agent', 'svmtest.boot=2']));
    expect(argv).toEqual(expect.arrayContaining(['-nic', 'none', '-accel', 'tcg', '-cpu', 'max']));
  });
});

import { isAbsolute, join, relative } from 'node:path';
import { InputError } from '../../model/errors.js';

export interface QemuCommandInput {
  readonly kernel: string;
  readonly initramfs: string;
  readonly runDir: string;
  /** The agent's directory inside the run directory (the guest finds agent.sh and boot-<n>/ there). */
  readonly agentDir?: string;
  readonly modulesTree?: string;
  readonly accel: 'kvm' | 'tcg';
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly boot: number;
  readonly cmdline: readonly string[];
  readonly vfio: readonly string[];
  readonly network: boolean;
  readonly probe?: boolean;
}

// 9p option strings are comma-separated, and the kernel command line is space-separated.
function checkPath(what: string, path: string): string {
  if (/[,\s]/.test(path)) throw new InputError(`${what} "${path}": QEMU cannot share a path containing commas or spaces; choose another directory`);
  return path;
}

const PCI_ADDRESS = /^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;

function agentPath(input: QemuCommandInput): string {
  const agent = relative(input.runDir, input.agentDir ?? join(input.runDir, '.agent'));
  if (agent === '' || agent.startsWith('..') || isAbsolute(agent))
    throw new InputError(`agent directory ${input.agentDir}: must be inside the run directory ${input.runDir}`);
  return agent;
}

/** The qemu-system-x86_64 argument vector (never a shell string) for one boot of the guest. */
export function qemuArgv(input: QemuCommandInput): string[] {
  const append = [
    'console=ttyS0',
    'panic=-1', // a panic reboots at once, and -no-reboot turns that into QEMU exiting
    'printk.time=1',
    'loglevel=7',
    'rw',
    // Emulated vCPUs fail the kernel's TSC sync check, and it falls back to the HPET: every clock read
    // is then a system call and an emulated device access. TCG's TSCs all count one virtual clock.
    // Measured: a boot and 7 fixture tests, 11.6-12.7 s on the HPET, 10.0-10.3 s on the TSC.
    ...(input.accel === 'tcg' ? ['tsc=reliable'] : []),
    ...(input.probe
      ? ['svmtest.probe=1']
      : [
          `svmtest.run=${checkPath('run directory', input.runDir)}`,
          `svmtest.agent=${checkPath('agent directory', agentPath(input))}`,
          `svmtest.boot=${input.boot}`,
        ]),
    ...(input.modulesTree ? ['svmtest.modules=1'] : []),
    ...input.cmdline,
  ];
  const argv = [
    '-machine',
    'q35',
    '-accel',
    input.accel,
    '-cpu',
    input.accel === 'kvm' ? 'host' : 'max',
    '-m',
    String(input.memoryMiB),
    '-smp',
    String(input.cpus),
    '-nodefaults',
    '-display',
    'none',
    '-serial',
    'stdio',
    '-no-reboot',
    '-kernel',
    input.kernel,
    '-initrd',
    input.initramfs,
    '-append',
    append.join(' '),
  ];
  if (!input.probe) {
    argv.push('-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap');
    argv.push('-virtfs', `local,path=${checkPath('run directory', input.runDir)},mount_tag=svmrun,security_model=none,multidevs=remap`);
    if (input.modulesTree)
      argv.push('-virtfs', `local,path=${checkPath('modules', input.modulesTree)},mount_tag=modules,security_model=none,readonly=on,multidevs=remap`);
  }
  for (const address of input.vfio) {
    if (!PCI_ADDRESS.test(address)) throw new InputError(`qemu.vfio "${address}": expected a PCI address like 0000:03:00.0`);
    argv.push('-device', `vfio-pci,host=${address}`);
  }
  if (!input.network) argv.push('-nic', 'none');
  return argv;
}

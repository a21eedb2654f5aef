import type { AddCheck, LocalMachine } from '../plugin.js';

interface PciDevice {
  readonly address: string;
  readonly vendor: string;
  readonly device: string;
  readonly driver?: string;
  readonly group?: string;
}

const AMD_VENDOR = '0x1002';
const DISPLAY_CLASSES = /^0x03(00|02|80)/;

async function amdGpus(target: LocalMachine): Promise<PciDevice[]> {
  const devices = (await target.readDir('/sys/bus/pci/devices')) ?? [];
  const found: PciDevice[] = [];
  for (const address of devices) {
    const base = `/sys/bus/pci/devices/${address}`;
    const [vendor, klass, device] = await Promise.all([target.readFile(`${base}/vendor`), target.readFile(`${base}/class`), target.readFile(`${base}/device`)]);
    if (vendor?.trim() !== AMD_VENDOR || !DISPLAY_CLASSES.test(klass?.trim() ?? '')) continue;
    const driver = await target.exec({ argv: ['readlink', target.path(`${base}/driver`)] });
    const group = await target.exec({ argv: ['readlink', target.path(`${base}/iommu_group`)] });
    found.push({
      address,
      vendor: vendor.trim(),
      device: device?.trim() ?? '',
      ...(driver.exitCode === 0 ? { driver: driver.stdout.trim().split('/').pop()! } : {}),
      ...(group.exitCode === 0 ? { group: group.stdout.trim().split('/').pop()! } : {}),
    });
  }
  return found;
}

function bindCommands(gpu: PciDevice): string {
  const dev = `/sys/bus/pci/devices/${gpu.address}`;
  return [
    'sudo modprobe vfio-pci',
    ...(gpu.driver ? [`echo ${gpu.address} | sudo tee ${dev}/driver/unbind`] : []),
    `echo vfio-pci | sudo tee ${dev}/driver_override`,
    `echo ${gpu.address} | sudo tee /sys/bus/pci/drivers_probe`,
  ].join(' && ');
}

/** GPU passthrough: IOMMU on, each AMD GPU in an IOMMU group, the ones in qemu.vfio bound to vfio-pci (`required` when a QEMU run needs them). */
export async function vfioChecks(target: LocalMachine, wanted: readonly string[], add: AddCheck, required: boolean): Promise<void> {
  const groups = (await target.readDir('/sys/kernel/iommu_groups')) ?? [];
  add(
    'IOMMU (for GPU passthrough)',
    groups.length > 0,
    groups.length > 0 ? `${groups.length} IOMMU groups` : 'no IOMMU groups: the IOMMU is off',
    'boot the host with amd_iommu=on iommu=pt (or intel_iommu=on iommu=pt) and enable IOMMU/VT-d in the firmware',
    required,
  );
  const gpus = await amdGpus(target);
  for (const gpu of gpus) {
    const bound = gpu.driver === 'vfio-pci';
    const inConfig = wanted.includes(gpu.address);
    add(
      `GPU ${gpu.address}`,
      !inConfig || bound,
      `AMD ${gpu.device}, driver ${gpu.driver ?? 'none'}, IOMMU group ${gpu.group ?? 'none'}${inConfig ? ' (in qemu.vfio)' : ''}`,
      bound ? undefined : `to pass it to QEMU: ${bindCommands(gpu)}; then add "${gpu.address}" to qemu.vfio`,
      required,
    );
  }
  for (const address of wanted.filter((a) => !gpus.some((g) => g.address === a))) {
    add(`qemu.vfio ${address}`, false, 'no AMD GPU at this PCI address', 'list GPUs with lspci -d 1002: and fix qemu.vfio', required);
  }
}

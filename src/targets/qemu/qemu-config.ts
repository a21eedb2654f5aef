import { z } from 'zod';

/** svmtest.yaml's `qemu:` section (`--target qemu`). */
export const qemuSection = z
  .object({
    /** Kernel image to boot (bzImage/vmlinuz); --kernel overrides. */
    kernel: z.string().optional(),
    /** Directory holding lib/modules/<release> for that kernel; --modules overrides. */
    modules: z.string().optional(),
    memory: z.number().int().min(256).default(2048),
    cpus: z.number().int().min(1).default(2),
    accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
    /** Boot the kernel's own ELF through its PVH entry when it has one (no unpacking in the guest); false boots the image as given. */
    pvh: z.boolean().default(true),
    /** Kernel command line additions for every variant. */
    cmdline: z.array(z.string()).default([]),
    /** Modules loaded in the guest for every variant. */
    modprobe: z.array(z.string()).default([]),
    /** PCI addresses of GPUs passed through with vfio-pci, e.g. ["0000:03:00.0"]. */
    vfio: z.array(z.string()).default([]),
    network: z.boolean().default(false),
    bootTimeout: z.number().positive().default(180),
    /** Seconds without a heartbeat from the guest agent before the guest is declared hung. */
    guestWatchdog: z.number().positive().default(60),
    maxReboots: z.number().int().min(0).default(3),
  })
  .strict()
  .default({});

export type QemuSection = z.infer<typeof qemuSection>;

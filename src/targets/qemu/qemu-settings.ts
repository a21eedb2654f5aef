import type { TargetContext } from '../plugin.js';
import type { QemuSection } from './qemu-config.js';

/** The QEMU target's settings: its config section under its flags and the run's common ones. */
export interface QemuSettings {
  readonly kernel?: string;
  readonly modules?: string;
  readonly accel: 'auto' | 'kvm' | 'tcg';
  readonly pvh: boolean;
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly cmdline: readonly string[];
  readonly modprobe: readonly string[];
  readonly vfio: readonly string[];
  readonly network: boolean;
  readonly bootTimeoutS: number;
  readonly watchdogS: number;
  readonly maxReboots: number;
}

export function qemuSettings(context: TargetContext): QemuSettings {
  const qemu = context.section as QemuSection;
  // No kernel given: the variant's latest `svmtest build`.
  const built = !context.kernel && !qemu.kernel && context.variant.defined ? context.latestBuild() : undefined;
  const kernel = context.kernel ?? qemu.kernel ?? built?.kernel;
  const modules = context.modules ?? qemu.modules ?? built?.modules;
  return {
    ...(kernel ? { kernel } : {}),
    ...(modules ? { modules } : {}),
    accel: (context.flags.accel as QemuSettings['accel'] | undefined) ?? qemu.accel,
    pvh: qemu.pvh,
    memoryMiB: qemu.memory,
    cpus: qemu.cpus,
    cmdline: [...qemu.cmdline, ...context.variant.cmdline],
    modprobe: [...qemu.modprobe, ...context.variant.modprobe],
    vfio: qemu.vfio,
    network: qemu.network,
    bootTimeoutS: qemu.bootTimeout,
    watchdogS: context.watchdogS ?? qemu.guestWatchdog,
    maxReboots: context.maxReboots ?? qemu.maxReboots,
  };
}

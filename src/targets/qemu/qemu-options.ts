import type { BootImage } from './boot-image.js';
import type { QemuSettings } from './qemu-settings.js';

/** Everything a QEMU target needs: its settings, resolved by its factory, and where it keeps its files. */
export interface QemuTargetOptions extends Omit<QemuSettings, 'kernel' | 'modules' | 'accel' | 'pvh'> {
  readonly kernel: string;
  /** What QEMU boots: the kernel's ELF when it has a PVH entry, else the kernel as given. */
  readonly bootImage: BootImage;
  /** A directory holding lib/modules/<release> for this kernel. */
  readonly modulesDir?: string;
  readonly release?: string;
  readonly runDir: string;
  /** Where in the run directory the console log and the agent's files go. */
  readonly consoleLog: string;
  readonly agentDir: string;
  readonly cacheDir: string;
  /** What `auto` came to. */
  readonly accel: 'kvm' | 'tcg';
  /** Host paths the run needs at the same path in the guest (the guest mounts fresh tmpfs on some). */
  readonly expose: readonly string[];
  readonly note: (message: string) => void;
}

import type { SshSettings } from './ssh/ssh-settings.js';
import type { Target } from './target.js';

/** QEMU settings from the config and flags, resolved by the pipeline (targets never read config). */
export interface QemuSettings {
  readonly kernel?: string;
  readonly modules?: string;
  readonly accel: 'auto' | 'kvm' | 'tcg';
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

export interface TargetSettings {
  /** Where a target keeps its files in the run directory. */
  readonly files: { readonly runDir: string; readonly console: string; readonly agent: string };
  readonly cacheDir: string;
  /** A copied /sys tree standing in for the machine's (host). */
  readonly sysfsRoot?: string;
  readonly qemu: QemuSettings;
  readonly ssh: SshSettings;
  /** Host paths the run needs on the machine under test at the same path. */
  readonly expose: readonly string[];
  readonly note: (message: string) => void;
}

export interface OpenedTarget {
  readonly target: Target;
  /** A host file holding the config of the kernel svmtest booted (read on the host, not through the target). */
  readonly kernelConfigFile?: string;
  /** The manifest of `svmtest build` beside the booted kernel, when it built it. */
  readonly kernelManifest?: string;
  /** What every report of this run must say first (e.g. a DUT whose host key was not checked). */
  readonly warnings?: readonly string[];
}

export interface TargetFactory {
  readonly name: string;
  readonly description: string;
  /**
   * Checks everything it can before anything starts, and returns how to open the target: a
   * bad setting fails here, not after a VM booted.
   */
  prepare(settings: TargetSettings): Promise<() => Promise<OpenedTarget>>;
}

/** Everything a QEMU target needs, resolved by its factory. */
export interface QemuTargetOptions {
  readonly kernel: string;
  /** A directory holding lib/modules/<release> for this kernel. */
  readonly modulesDir?: string;
  readonly release?: string;
  readonly runDir: string;
  /** Where in the run directory the console log and the agent's files go. */
  readonly consoleLog: string;
  readonly agentDir: string;
  readonly cacheDir: string;
  readonly accel: 'kvm' | 'tcg';
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly cmdline: readonly string[];
  readonly modprobe: readonly string[];
  readonly vfio: readonly string[];
  readonly network: boolean;
  /** Host paths the run needs at the same path in the guest (the guest mounts fresh tmpfs on some). */
  readonly expose: readonly string[];
  readonly bootTimeoutS: number;
  readonly watchdogS: number;
  readonly maxReboots: number;
  readonly note: (message: string) => void;
}

/** Where the DUT is and how to reach it: the ssh command line's inputs. */
export interface SshEndpoint {
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  readonly identityFile?: string;
  readonly knownHosts?: string;
  /** False: svmtest itself turns host-key checking off (--no-ssh-host-key-check, ssh.checkHostKey: false). */
  readonly checkHostKey: boolean;
  /** Set whenever the host key is not checked: what left it so (that flag or key, or an ssh option), for the warning. */
  readonly hostKeyOff?: string;
  readonly options: Readonly<Record<string, string>>;
  readonly connectTimeoutS: number;
}

/** The SSH target's settings: its config section under its flags and the run's common ones. */
export interface SshSettings {
  readonly endpoint?: SshEndpoint;
  readonly boot: 'kexec' | 'grub' | 'none';
  /** The variant's kernel on this machine; none: the DUT's running kernel is under test. */
  readonly kernel?: string;
  readonly modules?: string;
  readonly initrd?: string;
  readonly initrdCommand?: readonly string[];
  readonly initrdPath: string;
  readonly grubEntry: string;
  /** The deployed kernel's whole command line; undefined: the DUT's own. */
  readonly cmdline?: readonly string[];
  /** Added to it: the variant's kernel arguments. */
  readonly variantCmdline: readonly string[];
  /** Every other variant's kernel arguments: never carried over from a boot of another variant. */
  readonly otherCmdline: readonly string[];
  readonly modprobe: readonly string[];
  readonly kernelDir: string;
  readonly restore: boolean;
  /** How a dead DUT is power-cycled (none: a dead DUT ends the run, resumable). */
  readonly power?: PowerControl;
  readonly consoleCommand?: readonly string[];
  /** Run before the console is attached (a BMC's `sol deactivate`). */
  readonly consoleStop?: readonly string[];
  readonly bootTimeoutS: number;
  readonly watchdogS: number;
  readonly maxReboots: number;
}

export interface PowerControl {
  /** One command that power-cycles the DUT (the simple case). */
  readonly cycle?: readonly string[];
  readonly off?: readonly string[];
  readonly on?: readonly string[];
  /** Exit 0 and "on" (or "off") as a word in its output, as `ipmitool chassis power status` prints. */
  readonly status?: readonly string[];
  /** Seconds between off and on: a machine that is switched straight back on may not reset. */
  readonly offDelayS: number;
}

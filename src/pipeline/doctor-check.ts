/** One line of `svmtest doctor`: what was looked at, what was found, and the command that fixes a gap. */
export interface DoctorCheck {
  readonly area: string;
  readonly ok: boolean;
  readonly found: string;
  /** The command (or step) that fixes it. */
  readonly fix?: string;
}

export interface DoctorOptions {
  config?: string;
  sysfsRoot?: string;
  rocm?: string;
  json?: boolean;
  target?: string;
  ssh?: string;
  sshIdentity?: string;
  sshOption?: string[];
  sshHostKeyCheck?: boolean;
}

/** One line of `svmtest doctor`: what was looked at, what was found, and the command that fixes a gap. */
export interface DoctorCheck {
  readonly area: string;
  readonly ok: boolean;
  readonly found: string;
  /** The command (or step) that fixes it. */
  readonly fix?: string;
}

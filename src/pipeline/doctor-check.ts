import type { TargetFlagValues } from '../targets/plugin.js';

/** One line of `svmtest doctor`: what was looked at, what was found, and the command that fixes a gap. */
export interface DoctorCheck {
  readonly area: string;
  readonly ok: boolean;
  readonly found: string;
  /** The command (or step) that fixes it. */
  readonly fix?: string;
  /** Needed to run what the config asks on its target: one that is not ok makes doctor exit 3. */
  readonly required: boolean;
}

/** doctor --json: the checks, and the fields a CI gate reads. */
export interface DoctorReport {
  readonly schemaVersion: 1;
  readonly kind: 'doctor';
  readonly target: string;
  /** Every required check is ok: the machine can run what the config asks. */
  readonly ready: boolean;
  /** The areas of the required checks that are not ok. */
  readonly missing: readonly string[];
  readonly items: readonly DoctorCheck[];
}

export interface DoctorOptions {
  config?: string;
  sysfsRoot?: string;
  rocm?: string;
  json?: boolean;
  target?: string;
  /** The target's own flags that were given (--ssh, --accel, …). */
  targetFlags?: TargetFlagValues;
}

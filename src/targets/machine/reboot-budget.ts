import { InfraError } from '../../model/errors.js';

/**
 * How many times a machine that died (a panic, a hang, a lost DUT) is brought up again before the
 * run is given up as incomplete: --max-reboots, counted the same way for every target.
 */
export class RebootBudget {
  private used = 0;

  constructor(
    private readonly max: number,
    /** The machine in messages: "the guest", "the DUT". */
    private readonly machine: string,
  ) {}

  get reboots(): number {
    return this.used;
  }

  /** One more reboot: its number, or an InfraError once the budget is spent. */
  take(): number {
    if (this.used >= this.max) throw new InfraError(`${this.machine} died ${this.used + 1} times; giving up after --max-reboots ${this.max}`);
    return ++this.used;
  }
}

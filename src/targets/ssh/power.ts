import { execa } from 'execa';
import { InfraError } from '../../model/errors.js';
import { sshComplaint } from './ssh-connection.js';
import type { PowerControl } from './ssh-settings.js';

// How a dead DUT is brought back, as a lab's BMC or PDU allows: one power-cycle command
// (powerCommand), or LAVA's device-dictionary form — power off, wait, power on, then a status
// command that must report the machine on before svmtest waits for SSH. Every command runs on
// this machine as an argument vector (never a shell string), with the environment (IPMI_PASSWORD).

const COMMAND_TIMEOUT_MS = 120_000;
const STATUS_WAIT_MS = 60_000;

async function run(argv: readonly string[], what: string): Promise<string> {
  const r = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: COMMAND_TIMEOUT_MS });
  if (r.exitCode !== 0)
    throw new InfraError(`the ${what} command failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${sshComplaint(r.stderr || r.stdout)}`);
  return r.stdout;
}

/** What `status` says: on, off, or undefined when it cannot tell. */
export async function powerState(status: readonly string[]): Promise<'on' | 'off' | undefined> {
  const r = await execa(status[0]!, status.slice(1), { reject: false, timeout: COMMAND_TIMEOUT_MS });
  if (r.exitCode !== 0) return undefined;
  if (/\bon\b/i.test(r.stdout)) return 'on';
  if (/\boff\b/i.test(r.stdout)) return 'off';
  return undefined;
}

async function waitForState(status: readonly string[], want: 'on' | 'off'): Promise<void> {
  const deadline = Date.now() + STATUS_WAIT_MS;
  let last: string | undefined;
  while (Date.now() < deadline) {
    last = await powerState(status);
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new InfraError(`the DUT did not power ${want}: the power status command reported ${last ?? 'nothing it could read'} for ${STATUS_WAIT_MS / 1000} s`);
}

/** The configured way to power-cycle, for messages. */
export function describePower(power: PowerControl): string {
  if (power.cycle) return power.cycle.join(' ');
  return `${power.off!.join(' ')}; wait ${power.offDelayS} s; ${power.on!.join(' ')}${power.status ? `; until ${power.status.join(' ')} says on` : ''}`;
}

/** Power-cycles the DUT; with a status command, proves it went off and came back on. */
export async function powerCycle(power: PowerControl): Promise<void> {
  if (power.cycle) {
    await run(power.cycle, 'power');
    return;
  }
  await run(power.off!, 'power-off');
  if (power.status) await waitForState(power.status, 'off');
  await new Promise((r) => setTimeout(r, power.offDelayS * 1000));
  await run(power.on!, 'power-on');
  if (power.status) await waitForState(power.status, 'on');
}

import type { ExitInfo } from '../target.js';

const DUT_DEATHS = {
  DUT_PANIC: "ended when the DUT's kernel panicked",
  DUT_HANG: 'ended when the DUT stopped answering over SSH (watchdog)',
  DUT_DIED: 'ended when the DUT went down',
} as const;

export type DeathSignal = keyof typeof DUT_DEATHS;

/** How a command ended when the DUT died under it. */
export function dutDeathExit(death: DeathSignal): ExitInfo {
  return { exitCode: null, signal: death, machineDeath: DUT_DEATHS[death] };
}

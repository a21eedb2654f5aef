import type { ExitInfo } from '../target.js';

const GUEST_DEATHS = {
  KERNEL_PANIC: 'ended when the guest kernel panicked',
  GUEST_HANG: 'ended when the guest stopped responding (watchdog)',
  GUEST_DIED: 'ended when the guest died',
} as const;

export type GuestDeath = keyof typeof GUEST_DEATHS;

/** How a command ended when its guest went away under it (a death, or svmtest shutting it down). */
export function guestDeathExit(death: string): ExitInfo {
  const words = Object.hasOwn(GUEST_DEATHS, death) ? GUEST_DEATHS[death as GuestDeath] : undefined;
  return { exitCode: null, signal: death, ...(words ? { machineDeath: words } : {}) };
}

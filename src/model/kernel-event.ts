export const KERNEL_EVENT_KINDS = [
  'panic',
  'oops',
  'bug',
  'warning',
  'gpu-page-fault',
  'gpu-reset',
  'ring-timeout',
  'kfd-eviction',
  'hung-task',
  'rcu-stall',
  'kasan',
  'other-error',
  // A user process that crashed (segfault, general protection fault, trap), as the kernel reports it: not a kernel fault.
  'user-fault',
] as const;
export type KernelEventKind = (typeof KERNEL_EVENT_KINDS)[number];

export interface KernelEvent {
  readonly kind: KernelEventKind;
  /** Seconds since boot as the kernel printed it; null when the source had no kernel timestamp. */
  readonly timestamp: number | null;
  /** One line that says what happened, e.g. the WARNING line or the fault header. */
  readonly summary: string;
  readonly lines: readonly string[];
}

/** Kinds that mean the kernel itself misbehaved, as opposed to a merely noteworthy message. */
export const SEVERE_EVENT_KINDS: ReadonlySet<KernelEventKind> = new Set([
  'panic',
  'oops',
  'bug',
  'warning',
  'gpu-page-fault',
  'gpu-reset',
  'ring-timeout',
  'hung-task',
  'rcu-stall',
  'kasan',
]);

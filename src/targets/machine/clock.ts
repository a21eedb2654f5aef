/**
 * Seconds on this machine's monotonic clock, what a machine's kernel clock is estimated against.
 * libuv's hrtime is CLOCK_MONOTONIC: on this machine, the kernel log's own timebase.
 */
export function monotonicSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

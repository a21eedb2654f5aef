// SVMTEST_TRACE=1: when each phase of a command is reached, in ms since the process started — how the
// fixed cost of a run is found and kept small. Off, it costs one property read.
const enabled = process.env.SVMTEST_TRACE !== undefined && process.env.SVMTEST_TRACE !== '0';

export function trace(phase: string): void {
  if (enabled) process.stderr.write(`trace: ${phase} at ${Math.round(performance.now())} ms\n`);
}

import type { ExitInfo, RunningCommand } from '../target.js';

/**
 * A command whose process starts later (after a listener opens, a fork server answers): `run`
 * starts it through `begin` and resolves with its end. A kill that came first reaches the
 * process as soon as it has begun; `killedBefore` lets `run` not start it at all.
 */
export function laterCommand(
  run: (begin: (command: RunningCommand) => RunningCommand, killedBefore: () => NodeJS.Signals | undefined) => Promise<ExitInfo>,
): RunningCommand {
  let running: RunningCommand | undefined;
  let killed: NodeJS.Signals | undefined;
  const begin = (command: RunningCommand) => {
    running = command;
    if (killed) command.kill(killed);
    return command;
  };
  return {
    done: run(begin, () => killed),
    kill: (signal) => {
      killed = signal;
      running?.kill(signal);
    },
  };
}

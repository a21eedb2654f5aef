import { guestDeathExit } from './guest-deaths.js';
import { join } from 'node:path';
import type { CommandSpec, ExitInfo, LineHandlers } from '../target.js';
import { AgentRequest, type AgentBuiltin } from './agent-request.js';
import type { Guest } from './guest.js';
import { trace } from '../../model/trace.js';
import { neutralizeLine } from '../../model/untrusted-text.js';

// Output files are polled through 9p: a test's lines arrive up to ~50 ms late.
const POLL_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface AgentCall {
  readonly exit: ExitInfo;
  /** The command's whole stdout as bytes, when asked for (files read through the agent). */
  readonly stdout?: Buffer;
}

/**
 * Commands for the shell agent of one guest boot, through request directories in the shared run
 * directory. A guest that dies mid-command ends it as killed by the guest's death.
 */
export class AgentChannel {
  private requests = 0;

  async call(
    guest: Guest,
    spec: CommandSpec,
    options: { handlers?: LineHandlers; bytes?: boolean; onRequest?: (request: AgentRequest) => void; timeoutMs?: number; builtin?: AgentBuiltin } = {},
  ): Promise<AgentCall> {
    const started = performance.now();
    const request = AgentRequest.create(join(guest.dir, 'req'), ++this.requests, spec, options.builtin);
    options.onRequest?.(request);
    let deadline = options.timeoutMs ? Date.now() + options.timeoutMs : Infinity;
    const drain = (final = false) => options.handlers && request.drain(options.handlers, final);
    for (;;) {
      drain();
      const status = request.status();
      if (status) {
        drain(true);
        const stdout = options.bytes && status.exitCode === 0 ? request.rawStdout() : undefined;
        request.remove();
        // Each command is a round trip to the guest: SVMTEST_TRACE=1 shows what a run's start costs.
        trace(`guest command ${neutralizeLine(spec.argv.slice(0, 2).join(' '))} took ${Math.round(performance.now() - started)} ms; ended`);
        return stdout ? { exit: status, stdout } : { exit: status };
      }
      if (!guest.alive) {
        drain(true);
        return { exit: guestDeathExit(guest.death ?? 'GUEST_DIED') };
      }
      if (Date.now() > deadline) {
        request.kill('SIGKILL');
        deadline = Infinity;
      }
      await sleep(POLL_MS);
    }
  }
}

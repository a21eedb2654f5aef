import { describe, expect, it } from 'vitest';
import type { BatchHooks } from '../../src/engine/batch-hooks.js';
import type { PlannedSuite } from '../../src/engine/plan.js';
import { runProcess } from '../../src/engine/process-run.js';
import type { ParsedTest } from '../../src/parsers/types.js';
import { gtestChannelStream } from '../../src/suites/gtest-streams.js';
import type { LineHandlers, Target } from '../../src/targets/target.js';

// A process whose console and result channel arrive in an order chosen by the test: two pipes
// with no order between them, as a loaded machine (a TCG guest in a lab job) delivers them.
function targetDelivering(order: 'console-first' | 'channel-first'): Target {
  const console = [
    '[==========] Running 1 test from 1 test suite.',
    '[ RUN      ] T.Fails',
    'a.cc:3: Failure',
    'deliberate mismatch',
    '[  FAILED  ] T.Fails (0 ms)',
  ];
  const channel = [
    'gtest_streaming_protocol_version=1.0',
    'event=TestCaseStart&name=T',
    'event=TestStart&name=Fails',
    'event=TestPartResult&file=a.cc&line=3&message=deliberate%20mismatch',
    'event=TestEnd&passed=0&elapsed_time=0ms',
  ];
  return {
    spawn(_spec, handlers: LineHandlers) {
      const done = (async () => {
        const out = () => {
          for (const line of console) handlers.onLine('stdout', line);
        };
        const events = () => {
          for (const line of channel) handlers.onChannel?.(line);
        };
        if (order === 'console-first') {
          out();
          await new Promise((resolve) => setTimeout(resolve, 20));
          events();
        } else {
          events();
          await new Promise((resolve) => setTimeout(resolve, 20));
          out();
        }
        return { exitCode: 1, signal: null };
      })();
      return { done, kill: () => undefined };
    },
  } as unknown as Target;
}

async function logged(order: 'console-first' | 'channel-first') {
  const output: string[] = [];
  const results: ParsedTest[] = [];
  const planned = {
    suite: { definition: { name: 'fixture' }, command: ['prog'] },
    adapter: { prepareBatch: () => ({ spec: { argv: ['prog'], resultChannel: true }, stream: (_t: Target, listener) => gtestChannelStream(listener) }) },
    resultSource: 'channel',
  } as unknown as PlannedSuite;
  const hooks = {
    onStart: () => undefined,
    onOutput: (line: string, name: string) => output.push(`${name}: ${line}`),
    onResult: () => undefined,
    timeoutFor: () => 60,
    failedToRun: () => undefined,
    note: () => undefined,
    signal: new AbortController().signal,
    graceMs: 100,
    scratch: '/tmp',
  } as unknown as BatchHooks;
  await runProcess(targetDelivering(order), planned, ['T.Fails'], { args: [], env: {} } as never, hooks, (_name, result) => {
    results.push(result);
    return true;
  });
  return { output, results };
}

describe('a test whose console and result channel arrive in either order', () => {
  it('keeps its console in its own log, and its verdict, whichever pipe is read first', async () => {
    for (const order of ['console-first', 'channel-first'] as const) {
      const { output, results } = await logged(order);
      expect(output, order).toEqual(['T.Fails: a.cc:3: Failure', 'T.Fails: deliberate mismatch']);
      expect(results, order).toMatchObject([{ name: 'T.Fails', status: 'fail' }]);
    }
  });
});

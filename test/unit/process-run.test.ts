import { describe, expect, it } from 'vitest';
import type { BatchHooks } from '../../src/engine/batch-hooks.js';
import type { PlannedSuite } from '../../src/engine/plan.js';
import { runProcess } from '../../src/engine/process-run.js';
import type { ParsedTest } from '../../src/parsers/types.js';
import { gtestChannelStream } from '../../src/suites/gtest-streams.js';
import type { LineHandlers, Target } from '../../src/targets/target.js';

// A process whose console and result channel arrive in an order chosen by the test: two pipes
// with no order between them, as a loaded machine (a TCG guest in a lab job) delivers them.
// Console first, the whole console is read before the first event: it is two tests ahead.
function targetDelivering(order: 'console-first' | 'channel-first'): Target {
  const console = [
    '[==========] Running 2 tests from 1 test suite.',
    '[ RUN      ] T.Fails',
    'a.cc:3: Failure',
    'deliberate mismatch',
    '[  FAILED  ] T.Fails (0 ms)',
    '[ RUN      ] T.Talks',
    'said by T.Talks',
    '[       OK ] T.Talks (0 ms)',
  ];
  const channel = [
    'gtest_streaming_protocol_version=1.0',
    'event=TestCaseStart&name=T',
    'event=TestStart&name=Fails',
    'event=TestPartResult&file=a.cc&line=3&message=deliberate%20mismatch',
    'event=TestEnd&passed=0&elapsed_time=0ms',
    'event=TestStart&name=Talks',
    'event=TestEnd&passed=1&elapsed_time=0ms',
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

/** One gtest process of these tests through the target, results from its channel: its outcome, each test's log lines and results. */
async function runChannelBatch(target: Target, tests: readonly string[], timeoutS: number) {
  const output: string[] = [];
  const results: ParsedTest[] = [];
  const owners: Array<[number, string]> = [];
  const planned = {
    suite: { definition: { name: 'fixture' }, command: ['prog'] },
    adapter: { prepareBatch: () => ({ spec: { argv: ['prog'], resultChannel: true }, stream: (_t: Target, listener) => gtestChannelStream(listener) }) },
    resultSource: 'channel',
  } as unknown as PlannedSuite;
  const hooks = {
    onStart: () => undefined,
    onOutput: (line: string, name: string) => output.push(`${name}: ${line}`),
    timeoutFor: () => timeoutS,
    signal: new AbortController().signal,
    graceMs: 100,
    scratch: '/tmp',
    processOf: (pid: number, test: string) => owners.push([pid, test]),
  } as unknown as BatchHooks;
  const outcome = await runProcess(target, planned, tests, { args: [], env: {} } as never, hooks, (_name, result) => {
    results.push(result);
    return true;
  });
  return { outcome, output, results, owners };
}

describe('a test whose console and result channel arrive in either order', () => {
  it('keeps its console in its own log, and its verdict, whichever pipe is read first', async () => {
    for (const order of ['console-first', 'channel-first'] as const) {
      const { output, results } = await runChannelBatch(targetDelivering(order), ['T.Fails', 'T.Talks'], 60);
      expect(output, order).toEqual(['T.Fails: a.cc:3: Failure', 'T.Fails: deliberate mismatch', 'T.Talks: said by T.Talks']);
      expect(results, order).toMatchObject([
        { name: 'T.Fails', status: 'fail' },
        { name: 'T.Talks', status: 'pass' },
      ]);
    }
  });
});

// A batch's channel up to its first test, T.Quick, passing.
const QUICK_PASSES = [
  'gtest_streaming_protocol_version=1.0',
  'event=TestCaseStart&name=T',
  'event=TestStart&name=Quick',
  'event=TestEnd&passed=1&elapsed_time=0ms',
];

// A batch whose second test hangs until svmtest kills the process (SIGTERM ends it).
function hangingTarget(): Target {
  return {
    spawn(_spec, handlers: LineHandlers) {
      let killed: (signal: NodeJS.Signals) => void = () => undefined;
      const done = (async () => {
        for (const line of QUICK_PASSES) handlers.onChannel?.(line);
        for (const line of ['[ RUN      ] T.Quick', '[       OK ] T.Quick (0 ms)', '[ RUN      ] T.Hangs', 'about to hang']) handlers.onLine('stdout', line);
        handlers.onChannel?.('event=TestStart&name=Hangs');
        const signal = await new Promise<NodeJS.Signals>((resolve) => (killed = resolve));
        return { exitCode: null, signal };
      })();
      return { done, kill: (signal: NodeJS.Signals) => killed(signal) };
    },
  } as unknown as Target;
}

describe('a test that times out in a batch', () => {
  it('gets its timeout verdict and keeps its log; it is not handed back as a crash to run again alone', async () => {
    const { outcome, output, results, owners } = await runChannelBatch(hangingTarget(), ['T.Quick', 'T.Hangs'], 0.05);
    expect(results).toMatchObject([
      { name: 'T.Quick', status: 'pass' },
      { name: 'T.Hangs', status: 'timeout' },
    ]);
    expect(output).toEqual(['T.Hangs: about to hang']);
    expect(outcome.diedDuring).toBeUndefined();
    // A batch that did not die during a test: its process's kernel records are no one test's.
    expect(owners).toEqual([]);
  });
});

// A process (pid 4242 in the target's kernel) that dies by SIGSEGV in its second test, before its first line.
function crashingTarget(): Target {
  return {
    spawn(_spec, handlers: LineHandlers) {
      const done = (async () => {
        for (const line of [...QUICK_PASSES, 'event=TestStart&name=Crashes']) handlers.onChannel?.(line);
        return { exitCode: null, signal: 'SIGSEGV', pid: 4242 };
      })();
      return { done, kill: () => undefined };
    },
  } as unknown as Target;
}

describe('the kernel records of a test process, by its pid', () => {
  it('are the test it died during (a batch), or the one test it ran (alone)', async () => {
    const batch = await runChannelBatch(crashingTarget(), ['T.Quick', 'T.Crashes'], 60);
    expect(batch.outcome.diedDuring?.name).toBe('T.Crashes');
    expect(batch.owners).toEqual([[4242, 'T.Crashes']]);
    const alone = await runChannelBatch(crashingTarget(), ['T.Quick'], 60);
    expect(alone.owners).toEqual([[4242, 'T.Quick']]);
  });
});

import { InfraError } from '../model/errors.js';
import { GtestConsoleStream } from '../parsers/gtest-console.js';
import { parseGtestList, type ListedTest } from '../parsers/test-lists.js';
import { describeExit, type Target } from '../targets/target.js';
import type { TestListener } from '../parsers/types.js';
import type { BatchStream, PreparedBatch, ResolvedSuite, SuiteAdapter, WorkerSlot } from './adapter.js';

// Linux caps one argument at 128 KiB (MAX_ARG_STRLEN); the filter is one argument.
const MAX_FILTER_CHARS = 120_000;

export const gtestAdapter: SuiteAdapter = {
  kind: 'gtest',
  maxBatchChars: MAX_FILTER_CHARS,

  async list(target: Target, suite: ResolvedSuite): Promise<ListedTest[]> {
    const result = await target.exec(
      { argv: [...suite.command, '--gtest_list_tests'], env: suite.env, ...(suite.cwd ? { cwd: suite.cwd } : {}) },
      { timeoutMs: 120_000 },
    );
    if (result.exitCode !== 0) {
      const why = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
      throw new InfraError(
        `suite ${suite.definition.name}: listing tests with ${suite.command[0]} --gtest_list_tests failed (exit ${result.exitCode ?? result.signal}): ${why}`,
      );
    }
    return [...parseGtestList(result.stdout).tests];
  },

  prepareBatch(suite: ResolvedSuite, tests: readonly string[], slot: WorkerSlot): PreparedBatch {
    return {
      spec: {
        // Line-buffered stdout: a test's output (and its end line) arrive as it happens, so kernel
        // records and timeouts are matched to the right test even after a loud one.
        argv: ['stdbuf', '-oL', '-eL', ...suite.command, ...slot.args, `--gtest_filter=${tests.join(':')}`, '--gtest_color=no'],
        env: { ...suite.env, ...slot.env },
        ...(suite.cwd ? { cwd: suite.cwd } : {}),
      },
      stream: (_target, listener) => gtestStream(listener),
    };
  },
};

function gtestStream(listener: TestListener): BatchStream {
  const parser = new GtestConsoleStream({ onStart: (name) => listener.onStart(name), onResult: (test) => listener.onResult(test) });
  return {
    push(stream, line) {
      const open = parser.current;
      if (stream === 'stdout') parser.push(line);
      // The open test's output, but not its own end line: a test that prints nothing leaves no log file.
      if (open !== undefined && parser.current === open) listener.onOutput(line, open);
    },
    async end(exit) {
      parser.end(`[svmtest: the test process ${describeExit(exit)} during this test]`);
    },
    get current() {
      return parser.current;
    },
  };
}

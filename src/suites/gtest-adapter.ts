import { InfraError } from '../model/errors.js';
import { parseGtestList } from '../parsers/test-lists.js';
import { RESULT_CHANNEL, type CommandSpec, type ExecResult, type Target } from '../targets/target.js';
import type { ResolvedSuite, ResultSource, SuiteAdapter, SuiteListing, WorkerSlot } from './adapter.js';
import { gtestChannelStream, gtestConsoleStream } from './gtest-streams.js';

// Linux caps one argument at 128 KiB (MAX_ARG_STRLEN); the filter is one argument.
const MAX_FILTER_CHARS = 120_000;
const LIST_TIMEOUT_MS = 120_000;
export const STREAM_FLAG = `--gtest_stream_result_to=${RESULT_CHANNEL}`;

/** Runs a command to its end, collecting stdout, stderr and result-channel lines. */
async function collect(target: Target, spec: CommandSpec): Promise<ExecResult & { channel: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const channel: string[] = [];
  const running = target.spawn(spec, { onLine: (stream, line) => (stream === 'stdout' ? out : err).push(line), onChannel: (line) => channel.push(line) });
  const timer = setTimeout(() => running.kill('SIGKILL'), LIST_TIMEOUT_MS);
  const exit = await running.done;
  clearTimeout(timer);
  return { ...exit, stdout: out.length > 0 ? `${out.join('\n')}\n` : '', stderr: err.join('\n'), channel };
}

function listingFailed(suite: ResolvedSuite, result: ExecResult): InfraError {
  const why = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
  return new InfraError(
    `suite ${suite.definition.name}: listing tests with ${suite.command[0]} --gtest_list_tests failed (exit ${result.exitCode ?? result.signal}): ${why}`,
  );
}

export const gtestAdapter: SuiteAdapter = {
  kind: 'gtest',
  maxBatchChars: MAX_FILTER_CHARS,

  /**
   * Lists with the result stream asked for: a gtest that can stream connects and sends its
   * protocol line even when only listing, which proves the channel before any test runs.
   */
  async list(target: Target, suite: ResolvedSuite): Promise<SuiteListing> {
    const base = { env: suite.env, ...(suite.cwd ? { cwd: suite.cwd } : {}) };
    const probe = await collect(target, { ...base, argv: [...suite.command, '--gtest_list_tests', STREAM_FLAG], resultChannel: true });
    if (probe.exitCode === 0 && probe.channel.some((line) => line.startsWith('gtest_streaming_protocol_version='))) {
      return { tests: parseGtestList(probe.stdout).tests, resultSource: 'channel' };
    }
    const plain = await collect(target, { ...base, argv: [...suite.command, '--gtest_list_tests'] });
    if (plain.exitCode !== 0) throw listingFailed(suite, plain);
    return {
      tests: parseGtestList(plain.stdout).tests,
      resultSource: 'console',
      note: `${suite.definition.name}: ${suite.command[0]} streams no results (--gtest_stream_result_to); its results are read from its console output, which its tests can write to`,
    };
  },

  prepareBatch(suite: ResolvedSuite, tests: readonly string[], slot: WorkerSlot, _scratch: string, source: ResultSource) {
    const channel = source === 'channel';
    return {
      spec: {
        // Line-buffered stdout: a test's output arrives as it happens, so a timeout or a crash
        // leaves the test's log whole up to that point.
        argv: [
          'stdbuf',
          '-oL',
          '-eL',
          ...suite.command,
          ...slot.args,
          `--gtest_filter=${tests.join(':')}`,
          '--gtest_color=no',
          ...(channel ? [STREAM_FLAG] : []),
        ],
        env: { ...suite.env, ...slot.env },
        ...(suite.cwd ? { cwd: suite.cwd } : {}),
        ...(channel ? { resultChannel: true } : {}),
      },
      stream: (_target: Target, listener: Parameters<typeof gtestConsoleStream>[0]) => (channel ? gtestChannelStream(listener) : gtestConsoleStream(listener)),
    };
  },
};

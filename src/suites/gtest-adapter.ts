import { InfraError } from '../model/errors.js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseGtestList } from '../parsers/test-lists.js';
import { parseGtestXml } from '../parsers/gtest-xml.js';
import type { ParsedTest } from '../parsers/types.js';
import { RESULT_CHANNEL, type CommandSpec, type ExecResult, type Target } from '../targets/target.js';
import type { ResolvedSuite, ResultSource, SuiteAdapter, SuiteListing, WorkerSlot } from './adapter.js';
import { gtestChannelStream, gtestConsoleStream } from './gtest-streams.js';

// Linux caps one argument at 128 KiB (MAX_ARG_STRLEN); the filter is one argument.
const MAX_FILTER_CHARS = 120_000;
const LIST_TIMEOUT_MS = 120_000;
export const STREAM_FLAG = `--gtest_stream_result_to=${RESULT_CHANNEL}`;

// What a fork server's program is started with: should the server's library not load, it runs no test.
const FORK_SERVER_IDLE_ARGS = ['--gtest_list_tests', '--gtest_filter=-*'];

let reports = 0;

function xmlReportPath(target: Target, scratch: string): string {
  const name = `gtest-${process.pid}-${++reports}.xml`;
  return target.ownScratch ? `${target.ownScratch}/svmtest-${name}` : join(scratch, name);
}

/** Reads (and removes) the XML report a process left, if it left one: gtest writes it only at a clean end. */
function xmlCrossCheck(target: Target, path: string): () => Promise<ParsedTest[] | undefined> {
  return async () => {
    // A report that cannot be read (the machine went away meanwhile, a file cut short) leaves the stream to decide alone.
    try {
      let text: string | undefined;
      if (target.ownScratch) {
        text = await target.readFile(path);
        await target.exec({ argv: ['rm', '-f', path] }, { timeoutMs: 10_000 });
      } else {
        // The scratch directory is this machine's (a QEMU guest writes it through the shared run directory).
        text = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
        rmSync(path, { force: true });
      }
      return text ? [...parseGtestXml(text).tests] : undefined;
    } catch {
      return undefined;
    }
  };
}

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

  prepareBatch(suite: ResolvedSuite, tests: readonly string[], slot: WorkerSlot, scratch: string, source: ResultSource, target: Target) {
    const channel = source === 'channel';
    // gtest's XML report, to cross-check the stream at the process's end. gtest makes its directory and
    // aborts when it cannot: on a DUT (which has no svmtest run directory) it goes to /tmp.
    const xml = channel ? xmlReportPath(target, scratch) : undefined;
    // Line-buffered stdout: a test's output arrives as it happens, so a timeout or a crash leaves
    // the test's log whole up to that point.
    const env = { ...suite.env, ...slot.env };
    const buffered = target.lineBufferedEnv?.(env);
    return {
      spec: {
        argv: [
          ...(buffered ? [] : ['stdbuf', '-oL', '-eL']),
          ...suite.command,
          ...slot.args,
          `--gtest_filter=${tests.join(':')}`,
          '--gtest_color=no',
          ...(channel ? [STREAM_FLAG, `--gtest_output=xml:${xml}`] : []),
        ],
        env: buffered ?? env,
        ...(suite.cwd ? { cwd: suite.cwd } : {}),
        ...(channel ? { resultChannel: true } : {}),
        // A test alone in its process (--isolate, a crash's rerun) may be forked from a warm start
        // of the program, where the target has a fork server: the program's start is most of its time.
        ...(buffered && tests.length === 1 ? { forkable: { idleArgs: FORK_SERVER_IDLE_ARGS } } : {}),
      },
      stream: (on: Target, listener: Parameters<typeof gtestConsoleStream>[0]) =>
        channel ? gtestChannelStream(listener, xmlCrossCheck(on, xml!)) : gtestConsoleStream(listener),
    };
  },
};

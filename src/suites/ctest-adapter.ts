import { join } from 'node:path';
import { combineSameRun } from '../results/import-results.js';
import { InfraError } from '../model/errors.js';
import { parseCtestConsole } from '../parsers/ctest-console.js';
import { parseJunit } from '../parsers/junit.js';
import { parseCtestShowOnly } from '../parsers/test-lists.js';
import type { Target } from '../targets/target.js';
import type { ParsedReport, TestListener } from '../parsers/types.js';
import type { BatchStream, PreparedBatch, ResolvedSuite, SuiteAdapter, SuiteListing, WorkerSlot } from './adapter.js';

const START_LINE = /^\s*Start\s+\d+: (.+?)\s*$/;
let batchCounter = 0;

function escapeRegex(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function junitFile(scratch: string, id: number): string {
  return join(scratch, `ctest-batch-${process.pid}-${id}.xml`);
}

export const ctestAdapter: SuiteAdapter = {
  kind: 'ctest',
  maxBatchChars: 100_000,

  /** ctest runs each test itself and writes the JUnit report: results come from ctest, not from what a test prints. */
  async list(target: Target, suite: ResolvedSuite): Promise<SuiteListing> {
    const result = await target.exec({ argv: ['ctest', '--test-dir', suite.dir!, '--show-only=json-v1'], env: suite.env }, { timeoutMs: 120_000 });
    if (result.exitCode !== 0) {
      throw new InfraError(
        `suite ${suite.definition.name}: ctest --show-only in ${suite.dir} failed (exit ${result.exitCode ?? result.signal}): ${result.stderr.trim().split('\n').slice(-2).join(' | ')}`,
      );
    }
    try {
      return { tests: parseCtestShowOnly(JSON.parse(result.stdout)).tests, resultSource: 'report-file' };
    } catch (error) {
      throw new InfraError(`suite ${suite.definition.name}: ctest --show-only=json-v1 printed something unreadable: ${(error as Error).message}`);
    }
  },

  prepareBatch(suite: ResolvedSuite, tests: readonly string[], slot: WorkerSlot, scratch: string): PreparedBatch {
    const junit = junitFile(scratch, ++batchCounter);
    return {
      spec: {
        argv: [
          'ctest',
          '--test-dir',
          suite.dir!,
          '--output-junit',
          junit,
          '--output-on-failure',
          '--timeout',
          String(suite.definition.timeout),
          '-R',
          `^(${tests.map(escapeRegex).join('|')})$`,
        ],
        env: { ...suite.env, ...slot.env },
      },
      stream: (target, listener) => ctestStream(target, suite, listener, junit),
    };
  },
};

function ctestStream(target: Target, suite: ResolvedSuite, listener: TestListener, junit: string): BatchStream {
  const lines: string[] = [];
  let current: string | undefined;
  const skipPattern = suite.definition.skipRegex ? new RegExp(suite.definition.skipRegex) : undefined;
  return {
    push(stream, line) {
      lines.push(line);
      const start = START_LINE.exec(line);
      if (start && stream === 'stdout') {
        current = start[1]!;
        listener.onStart(current);
      } else if (current !== undefined) listener.onOutput(line, current);
    },
    async end() {
      // ctest writes results per test to the console and the JUnit file at the end: join both.
      const reports: ParsedReport[] = [];
      const junitText = await target.readFile(junit);
      if (junitText) {
        try {
          reports.push(parseJunit(junitText, 'ctest-junit', skipPattern ? { skipPattern } : {}));
        } catch {
          // a half-written file after a kill: the console still has the results
        }
      }
      reports.push(parseCtestConsole(lines.join('\n')));
      for (const test of combineSameRun(reports)) listener.onResult(test);
      current = undefined;
    },
    get current() {
      return current;
    },
  };
}

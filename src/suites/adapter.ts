import type { SuiteKind } from './kinds.js';
import type { ResultSource } from '../model/run.js';
import type { CommandSpec, Target } from '../targets/target.js';
import type { TestListener } from '../parsers/types.js';
import type { ListedTest } from '../parsers/test-lists.js';
import type { SuiteDefinition } from './definition.js';

/** Where the suite lives on the target once its binary or build directory was found. */
export interface ResolvedSuite {
  readonly definition: SuiteDefinition;
  /** gtest: the command (binary + args); ctest: the build directory. */
  readonly command: readonly string[];
  readonly dir?: string;
  readonly cwd?: string;
  readonly env: Readonly<Record<string, string>>;
}

/** One GPU (or the whole machine) a worker runs on. */
export interface WorkerSlot {
  readonly index: number;
  readonly node?: number;
  readonly env: Readonly<Record<string, string>>;
  readonly args: readonly string[];
}

export interface BatchStream {
  push(stream: 'stdout' | 'stderr', line: string): void;
  /** A line of the framework's result channel (gtest's stream), when the batch has one. */
  channel?(line: string): void;
  /** The process ended: report what it left unfinished. */
  end(exit: { exitCode: number | null; signal: string | null }): Promise<void>;
  readonly current: string | undefined;
}

export interface PreparedBatch {
  readonly spec: CommandSpec;
  stream(target: Target, listener: TestListener): BatchStream;
}

export type { ResultSource } from '../model/run.js';

export interface SuiteListing {
  readonly tests: readonly ListedTest[];
  readonly resultSource: ResultSource;
  /** Why the results come from the console, when they do. */
  readonly note?: string;
}

export interface SuiteAdapter {
  readonly kind: SuiteKind;
  /** The suite's tests, and whether its binary can report results through a channel its tests cannot write to. */
  list(target: Target, suite: ResolvedSuite): Promise<SuiteListing>;
  /** The command for one batch of tests, and how to read its output. */
  prepareBatch(suite: ResolvedSuite, tests: readonly string[], slot: WorkerSlot, scratch: string, source: ResultSource, target: Target): PreparedBatch;
  /** Longest batch one command line can carry (filters live in a single argument). */
  readonly maxBatchChars: number;
}

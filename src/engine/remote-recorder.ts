import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { InputError } from '../model/errors.js';
import { writeFileAtomic } from '../model/json-file.js';
import type { ProgressSink } from '../model/progress.js';
import { decodeEcho } from '../model/record-echo.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import { readRun } from '../model/run-file.js';
import { writeRun } from '../model/run-file-write.js';
import type { InfraProblem, LabJob, RunFile, RunInfo, RunStatus } from '../model/run.js';
import { assembleFromJournal, type KernelEventPolicy } from './assemble.js';
import { Journal, type JournalRecord } from './journal.js';
import { resumeRun } from './resume.js';

const RECORD_TYPES = new Set(['run', 'test', 'events', 'claimed', 'moved', 'error', 'outside-events', 'plan']);
// A test's log as the engine names it in its run directory: logs/<file>, nothing above it.
const LOG_PATH = /^logs\/[\w.+@=-]+(?:\/[\w.+@=-]+)*$/;

export interface RemotePaths {
  readonly root: string;
  readonly journal: string;
  readonly runFile: string;
}

/**
 * The engine's records of a run that ran elsewhere (a lab job), as they arrive on its console:
 * only lines under the job's nonce count (the first echo line names it, before any test runs);
 * each journal record is journaled here at once, each log chunk written where the engine there
 * wrote it. At the end, the job's own run.json when it sent one whole, else run.json assembled
 * from the journal: a test that never reported is notrun.
 */
export class RemoteRecorder {
  private nonce: string | undefined;
  private nextSeq = 0;
  private lost = 0;
  private damaged = 0;
  private readonly journal: Journal;
  private finalRun: string | undefined;
  private readonly finalJournal: string[] = [];
  private finalCount: number | undefined;
  /** The suites whose progress is shown (from the plan records). */
  private readonly suites = new Set<string>();

  constructor(
    private readonly paths: RemotePaths,
    private readonly progress: ProgressSink,
    private readonly shardLabel = '',
  ) {
    mkdirSync(paths.root, { recursive: true });
    this.journal = new Journal(paths.journal);
  }

  /** svmtest's last word on the console (why it stopped, when it said so there), neutralized. */
  lastWords: string | undefined;
  /** The error the engine in the job stopped on, as it echoed it. */
  engineError: { readonly kind: string; readonly message: string } | undefined;

  /** One line of the job's console. */
  line(text: string): void {
    const echo = decodeEcho(text);
    if (!echo) {
      // The console's own output: a boot message, a prompt, svmtest's progress — or why it stopped.
      if (text.startsWith('svmtest: ') && !text.startsWith('svmtest: exited')) this.lastWords = neutralizeLine(text).slice(0, 300);
      return;
    }
    if (this.nonce === undefined) {
      if ('damaged' in echo || echo.kind !== 'S' || echo.seq !== 0) return;
      this.nonce = echo.nonce;
      this.nextSeq = 1;
      return;
    }
    if (echo.nonce !== this.nonce) return; // not this session's engine
    if ('damaged' in echo) {
      this.damaged++;
      return;
    }
    if (echo.seq > this.nextSeq) this.lost += echo.seq - this.nextSeq;
    this.nextSeq = Math.max(this.nextSeq, echo.seq + 1);
    if (echo.kind === 'J') this.record(echo.payload);
    else if (echo.kind === 'L') this.logChunk(echo.payload);
    else if (echo.kind === 'R') this.finalRun = echo.payload;
    else if (echo.kind === 'F') this.finalJournal.push(echo.payload);
    else if (echo.kind === 'E') this.finalCount = Number(echo.payload);
    else if (echo.kind === 'X') this.stopped(echo.payload);
  }

  private record(json: string): void {
    let record: JournalRecord;
    try {
      record = JSON.parse(json) as JournalRecord;
    } catch {
      this.damaged++;
      return;
    }
    if (!record || typeof record !== 'object' || !RECORD_TYPES.has(record.type)) {
      this.damaged++;
      return;
    }
    this.journal.append(record);
    if (record.type === 'plan') {
      const totals = new Map<string, number>();
      for (const { suite } of record.tests) totals.set(suite, (totals.get(suite) ?? 0) + 1);
      for (const [suite, total] of totals) {
        if (!this.suites.has(suite)) this.progress.suiteStart(this.shown(suite), total);
        this.suites.add(suite);
      }
    } else if (record.type === 'test') {
      const { suite, name, status, durationMs } = record.test;
      this.progress.testEnd(this.shown(suite), name, status, durationMs, record.attempt ?? 1);
    }
  }

  private stopped(payload: string): void {
    try {
      const { kind, message } = JSON.parse(payload) as { kind?: unknown; message?: unknown };
      if (typeof kind === 'string' && typeof message === 'string') this.engineError = { kind, message: neutralizeLine(message).slice(0, 2000) };
    } catch {
      this.damaged++;
    }
  }

  private logChunk(payload: string): void {
    const [path, offset, data] = payload.split('\t');
    if (!path || !LOG_PATH.test(path) || normalize(path) !== path || !/^\d+$/.test(offset ?? '')) {
      this.damaged++;
      return;
    }
    const file = join(this.paths.root, path);
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, existsSync(file) ? 'r+' : 'w');
    try {
      writeSync(fd, Buffer.from(data ?? '', 'base64'), 0, undefined, Number(offset));
    } finally {
      closeSync(fd);
    }
  }

  /** A suite as its progress is shown: with the job's label when the run has several. */
  private shown(suite: string): string {
    return this.shardLabel ? `${suite} ${this.shardLabel.trim()}` : suite;
  }

  /** Whether the engine in the job sent its run.json and its journal whole. */
  get finished(): boolean {
    return this.finalRun !== undefined && this.finalCount === this.finalJournal.length;
  }

  /** Whether the engine in the job started at all (its first echo line arrived). */
  get started(): boolean {
    return this.nonce !== undefined;
  }

  /**
   * run.json for this job: the engine's own when it arrived whole (its journal then replaces the
   * one streamed, which a mangled console line may have cut), else assembled from the journal.
   */
  finish(job: LabJob, ended: { status?: RunStatus; error?: InfraProblem }, fallback: () => RunInfo, policy: KernelEventPolicy, now: Date): RunFile {
    this.journal.close();
    for (const suite of this.suites) this.progress.suiteEnd(this.shown(suite));
    let invalid: InfraProblem | undefined;
    if (this.finished) {
      writeFileAtomic(this.paths.journal, `${this.finalJournal.join('\n')}\n`);
      try {
        writeFileAtomic(this.paths.runFile, `${this.finalRun}\n`);
        const run = readRun(this.paths.runFile);
        // Interrupted here while the job finished there (its cancel arrived late): interrupted, as a local run is.
        const status = ended.status === 'interrupted' ? 'interrupted' : run.run.status;
        const withJob = { ...run, run: { ...run.run, status, jobs: [job] } };
        writeRun(this.paths.runFile, withJob);
        return withJob;
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        invalid = { stage: 'lab job', message: `the job's run.json was not valid (${error.message}); this run.json is made from its journal` };
      }
    } else if (this.lost > 0 || this.damaged > 0) {
      this.progress.note(`${this.shardLabel}${this.lost + this.damaged} echoed lines were lost or damaged on the job's console`);
    }
    const earlier = resumeRun(this.paths.journal, (m) => this.progress.note(m));
    const errors = [...(ended.error ? [ended.error] : []), ...(invalid ? [invalid] : [])];
    const status = ended.status ?? 'incomplete';
    const run = earlier
      ? assembleFromJournal(earlier, status, now, policy, `the job ended before this test (${status})`, errors)
      : assembleFromJournal({ run: fallback(), tests: new Map(), errors: [], outside: [], planned: [] }, status, now, policy, '', errors);
    const withJob = { ...run, run: { ...run.run, jobs: [job] } };
    writeRun(this.paths.runFile, withJob);
    return withJob;
  }
}

import { randomBytes } from 'node:crypto';
import type { KernelEvent } from '../model/kernel-event.js';
import { KernelLogClassifier, processIdOf } from '../parsers/kernel-log.js';
import type { KernelRecord } from '../parsers/kernel-record.js';
import { markText, parseMark, type KernelMarkWriter } from '../targets/kernel-marks.js';
import { KernelLogUnavailable, type KernelLogWatch, type Target } from '../targets/target.js';

interface Window {
  readonly key: string;
  readonly start: number;
  end: number | undefined;
}

export type KernelAttribution = 'markers' | 'clock';

/** Where the watch's findings go: a test's events, the batch's (outside every test), and those that move later (by the process they name). */
export interface KernelSink {
  events(key: string, events: KernelEvent[]): void;
  outside(context: string, events: KernelEvent[]): void;
  /** Records first given to outside() that turned out to be this test's (claim). */
  claimed(key: string, events: KernelEvent[]): void;
  /** Records first given to one test that are another's after all (a fatal fault of the process that died during it). */
  moved(from: string, to: string, events: KernelEvent[]): void;
}

const IDLE_FLUSH_MS = 250;
// svmtest reads a test's start and end lines a few milliseconds after the test printed them
// (measured 5–10 ms on the host; targets that poll say their own): windows are moved back by that much.
const OBSERVATION_LAG_S = 0.01;
// Marks still in flight when the run ends (written through a target's channel) are waited for this long.
const LAST_MARK_WAIT_MS = 3_000;
// The first mark must come back through the log this soon, or the clock is used instead.
const READY_WAIT_MS = 15_000;
// Records outside every test that name a process, kept to be given to its test once known: at most this many.
const UNCLAIMED_MAX = 10_000;

/**
 * Follows the target's kernel log during a run and gives each classified event to its test.
 *
 * With marks (the log can be written): svmtest writes "start" and "end" records into the log
 * around each test — or the target writes them where the test runs, from its result channel —
 * and a record belongs to the test whose marks enclose it in the log's own order. Records
 * outside every test's marks belong to the batch (onOutside). Only where the log cannot be
 * written are records matched by the kernel clock to time windows, and the run says so.
 */
export class KernelWatch {
  private readonly classifier = new KernelLogClassifier();
  private readonly windows: Window[] = [];
  private readonly early: KernelEvent[] = [];
  private watch: KernelLogWatch | undefined;
  private marks: KernelMarkWriter | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Tests whose start mark was seen in the log and whose end mark was not, latest last. */
  private readonly open: string[] = [];
  /** Tests started and not yet ended: svmtest writes their end mark once (for a target-marked test, in case its own never came). */
  private readonly marked = new Set<string>();
  /** Of those, the tests whose marks the target writes from the result channel. */
  private readonly targetMarked = new Set<string>();
  private lastEnded: string | undefined;
  /** What went wrong while the log was followed (records lost), known once it is stopped. */
  private troubles: string[] = [];
  private onReady: (() => void) | undefined;
  private pendingEnds = 0;
  /** End marks svmtest wrote itself: once all came back, nothing of the run is still in flight. */
  private endsWritten = 0;
  private anyTargetMarked = false;
  private allEndsSeen: (() => void) | undefined;
  /** Records outside every test that name a process (pid), for its test once the process is known as one test's. */
  private unclaimed: Array<{ readonly pid: number; readonly event: KernelEvent }> = [];
  /** User faults given to a test by its marks, by the process they name: a process dies of its fault, and it may die during the next test. */
  private faultsInTests: Array<{ readonly pid: number; readonly key: string; readonly event: KernelEvent }> = [];
  /** Processes whose records are one test's (see claim). */
  private readonly claims = new Map<number, string>();
  /** Per run: marks of another run, or written by a test, are not svmtest's. */
  readonly secret = randomBytes(6).toString('hex');

  private readonly lag: number;
  private mode: KernelAttribution | undefined;

  private sink: KernelSink | undefined;
  private stopped = false;
  /** A user fault's block held open across a mark, and where it began. */
  private heldFault: { readonly owner: string | undefined; readonly context: string } | undefined;
  /** What was found before the run's recorder was there (the watch starts while the run is planned). */
  private readonly unsent: Array<(sink: KernelSink) => void> = [];

  /** Without a sink, what the watch finds waits for connect(). */
  constructor(
    private readonly target: Target,
    sink?: KernelSink,
  ) {
    this.sink = sink;
    this.lag = target.observationLag ?? OBSERVATION_LAG_S;
  }

  /** Where what the watch found goes from now on, and what it found before. */
  connect(sink: KernelSink): void {
    this.sink = sink;
    for (const send of this.unsent.splice(0)) send(sink);
  }

  private send(deliver: (sink: KernelSink) => void): void {
    if (this.sink) deliver(this.sink);
    else this.unsent.push(deliver);
  }

  /** Starts following; returns a note to show once when the kernel log cannot be read or written. */
  async start(): Promise<string | undefined> {
    try {
      this.watch = await this.target.watchKernelLog((record) => this.onRecord(record));
    } catch (error) {
      if (error instanceof KernelLogUnavailable) return `kernel log not followed: ${error.message}; tests run without kernel events`;
      throw error;
    }
    this.mode = 'clock';
    try {
      this.marks = await this.target.openKernelMarks?.();
    } catch (error) {
      if (!(error instanceof KernelLogUnavailable)) throw error;
      return `kernel records are given to tests by the kernel clock, not by marks in the log: ${error.message}`;
    }
    if (this.marks) {
      // Proof that marks reach the log svmtest reads (and a writer that is up before the first test).
      let timer: NodeJS.Timeout | undefined;
      const seen = await Promise.race([
        new Promise<boolean>((resolve) => {
          this.onReady = () => resolve(true);
          this.marks!.write(markText(this.secret, 'ready'));
          this.watch?.poll?.();
        }),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_WAIT_MS))),
      ]);
      if (timer) clearTimeout(timer);
      this.onReady = undefined;
      if (!seen) {
        await this.marks.close();
        this.marks = undefined;
        return `kernel records are given to tests by the kernel clock: a mark written into the kernel log did not come back within ${READY_WAIT_MS / 1000} s`;
      }
      this.mode = 'markers';
    }
    return this.marks ? undefined : `kernel records are given to tests by the kernel clock: ${this.target.kind} cannot write marks into its kernel log`;
  }

  get active(): boolean {
    return this.watch !== undefined;
  }

  /** What went wrong while the log was followed: the run must say so (its records may be incomplete). */
  get problems(): readonly string[] {
    return this.troubles;
  }

  /** How records were attributed (fixed once the log is followed; undefined when it could not be). */
  get attribution(): KernelAttribution | undefined {
    return this.mode;
  }

  /** A test starts. `markedByTarget`: the target writes its marks from the result channel. */
  begin(key: string, markedByTarget = false): void {
    if (this.marks) {
      this.marked.add(key);
      if (markedByTarget) {
        this.targetMarked.add(key);
        this.anyTargetMarked = true;
      } else this.marks.write(markText(this.secret, 'start', key));
      return;
    }
    this.windows.push({ key, start: this.target.kernelTime() - this.lag, end: undefined });
    if (this.early.length > 0) {
      const early = this.early.splice(0);
      this.send((sink) => sink.events(key, early));
    }
  }

  /** A test ended. `reported`: the framework reported its end (a target that marks from the channel has marked it). */
  finish(key: string, reported = false): void {
    if (this.marks) {
      if (!this.marked.delete(key)) return;
      // A target-marked test that never reported its end (a crash) is ended by svmtest's own mark.
      if (this.targetMarked.delete(key) && reported) return;
      this.pendingEnds++;
      this.endsWritten++;
      this.marks.write(markText(this.secret, 'end', key));
      return;
    }
    const now = this.target.kernelTime() - this.lag;
    for (let i = this.windows.length - 1; i >= 0; i--) {
      if (this.windows[i]!.key === key && this.windows[i]!.end === undefined) {
        this.windows[i]!.end = now;
        break;
      }
    }
  }

  /**
   * The kernel records that name this process (a user fault, a GPU page fault) are this test's,
   * wherever they fall in the log: it ran only that test, or died during it. Those already given
   * to the batch (outside every test) move to the test; later ones go to it directly. (The process's pid is the
   * evidence: a test that crashes in its first millisecond can have its fault logged before its
   * start mark, which a target writes when the framework's report reaches it.) A user fault is the
   * process's death (the kernel logs it for a signal the process does not handle): one the marks
   * gave to an earlier test of the same process moves too — the framework had reported that
   * test's end before the process died, and a target's mark can lag behind both.
   */
  claim(pid: number, key: string): void {
    if (!this.marks) return; // by the clock, a record is a window's, whatever it names
    this.claims.set(pid, key);
    const claimed = this.unclaimed.filter((u) => u.pid === pid);
    if (claimed.length > 0) {
      this.unclaimed = this.unclaimed.filter((u) => u.pid !== pid);
      this.send((sink) =>
        sink.claimed(
          key,
          claimed.map((u) => u.event),
        ),
      );
    }
    const elsewhere = this.faultsInTests.filter((f) => f.pid === pid && f.key !== key);
    this.faultsInTests = this.faultsInTests.filter((f) => f.pid !== pid);
    for (const from of new Set(elsewhere.map((f) => f.key))) {
      const events = elsewhere.filter((f) => f.key === from).map((f) => f.event);
      this.send((sink) => sink.moved(from, key, events));
    }
  }

  /** Waits for records still in flight, then classifies everything pending. */
  async settle(ms = 200): Promise<void> {
    if (!this.watch) return;
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.deliver(this.classifier.flush());
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.watch) {
      // The last test's end mark travels like any record: once it is read, everything before it was.
      this.watch.poll?.();
      // (Only when svmtest wrote every mark: a target's own marks and records may still be on their way.)
      const ownMarksOnly = this.marks !== undefined && !this.anyTargetMarked;
      let endsSeen = ownMarksOnly && this.endsWritten > 0 && this.pendingEnds === 0;
      if (this.marks && this.pendingEnds > 0) {
        let timer: NodeJS.Timeout | undefined;
        const seen = await Promise.race([
          new Promise<boolean>((resolve) => (this.allEndsSeen = () => resolve(true))),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), LAST_MARK_WAIT_MS))),
        ]);
        if (timer) clearTimeout(timer);
        endsSeen = ownMarksOnly && seen;
      }
      // Without that proof, records of the last test are in flight for about the target's
      // observation lag: wait three times that.
      if (!endsSeen) await this.settle(Math.max(20, Math.round(this.lag * 3000)));
      await this.watch.stop();
      this.troubles = this.watch.problems?.() ?? [];
      this.watch = undefined;
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.deliver(this.classifier.flush());
    await this.marks?.close();
  }

  private onRecord(record: KernelRecord): void {
    const mark = parseMark(record.text, this.secret);
    if (mark?.kind === 'ready') {
      this.onReady?.();
      return;
    }
    if (mark) {
      // A block never spans a test boundary: what was pending belongs to the test that was running.
      // But a user fault's record and its "Code:" line are two records a mark can fall between:
      // that block stays open, for where it began.
      if (this.classifier.pendingKind === 'user-fault' && !this.heldFault) this.heldFault = this.here();
      else this.deliver(this.classifier.flush());
      if (mark.kind === 'start') this.open.push(mark.id);
      else {
        const at = this.open.lastIndexOf(mark.id);
        if (at >= 0) this.open.splice(at, 1);
        this.lastEnded = mark.id;
        if (this.pendingEnds > 0 && --this.pendingEnds === 0) this.allEndsSeen?.();
      }
      return;
    }
    this.classifier.push(record);
    this.deliver(this.classifier.take());
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // A block (a WARNING without its end line, a fault dump) is complete once the log goes quiet.
    this.idleTimer = setTimeout(() => this.deliver(this.classifier.flush()), IDLE_FLUSH_MS);
    this.idleTimer.unref();
  }

  /** Where a record read now belongs: the innermost open test, or the batch. */
  private here(): { readonly owner: string | undefined; readonly context: string } {
    return { owner: this.open.at(-1), context: this.lastEnded === undefined ? 'before the first test' : `after ${this.lastEnded}, outside any test` };
  }

  private deliver(events: KernelEvent[]): void {
    if (events.length === 0) return;
    if (this.heldFault) {
      // The first block to close is the user fault held open across a mark.
      const at = this.heldFault;
      this.heldFault = undefined;
      this.deliverAt(events.slice(0, 1), at);
      this.deliverAt(events.slice(1), this.here());
    } else this.deliverAt(events, this.here());
  }

  private deliverAt(events: KernelEvent[], { owner, context }: ReturnType<KernelWatch['here']>): void {
    if (events.length === 0) return;
    if (this.marks) {
      if (owner !== undefined) {
        const own: KernelEvent[] = [];
        for (const event of events) {
          const pid = event.kind === 'user-fault' ? processIdOf(event) : undefined;
          const died = pid === undefined ? undefined : this.claims.get(pid);
          if (died !== undefined && died !== owner) this.send((sink) => sink.events(died, [event]));
          else {
            own.push(event);
            if (pid !== undefined && this.faultsInTests.length < UNCLAIMED_MAX) this.faultsInTests.push({ pid, key: owner, event });
          }
        }
        if (own.length > 0) this.send((sink) => sink.events(owner, own));
        return;
      }
      const outside: KernelEvent[] = [];
      for (const event of events) {
        const pid = processIdOf(event);
        const claimed = pid === undefined ? undefined : this.claims.get(pid);
        if (claimed !== undefined) this.send((sink) => sink.events(claimed, [event]));
        else {
          outside.push(event);
          if (pid !== undefined && this.unclaimed.length < UNCLAIMED_MAX) this.unclaimed.push({ pid, event });
        }
      }
      if (outside.length > 0) this.send((sink) => sink.outside(context, outside));
      return;
    }
    for (const event of events) {
      const key = this.ownerOf(event.timestamp);
      if (key === undefined) this.early.push(event);
      else this.send((sink) => sink.events(key, [event]));
    }
  }

  /**
   * Clock mode: the test whose window contains the record; a record in the gap between two tests
   * belongs to the next one (it had started before svmtest saw it), one after every window to the last.
   */
  private ownerOf(timestamp: number | null): string | undefined {
    if (this.windows.length === 0) return undefined;
    if (timestamp === null) return this.windows[this.windows.length - 1]!.key;
    for (let i = this.windows.length - 1; i >= 0; i--) {
      const w = this.windows[i]!;
      if (w.start <= timestamp && (w.end === undefined || timestamp <= w.end)) return w.key;
    }
    const next = this.windows.find((w) => w.start > timestamp);
    return (next ?? this.windows[this.windows.length - 1]!).key;
  }
}

/** A watch being started: what it found waits for the run's recorder (connect). */
export interface StartingKernelWatch {
  readonly watch: KernelWatch;
  /** start()'s note; awaited by the engine. */
  readonly started: Promise<string | undefined>;
}

/**
 * Starts following the target's kernel log now, while the run is still being planned: on a
 * guest its first mark is a round trip, and a listing's own records are the run's too.
 */
export function startKernelWatch(target: Target): StartingKernelWatch {
  const watch = new KernelWatch(target);
  const started = watch.start();
  // Awaited by the engine, or by the run's teardown when it never got there: never unhandled meanwhile.
  started.catch(() => undefined);
  return { watch, started };
}

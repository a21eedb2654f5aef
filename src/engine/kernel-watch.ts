import type { KernelEvent } from '../model/kernel-event.js';
import { KernelLogClassifier } from '../parsers/kernel-log.js';
import type { KernelRecord } from '../parsers/kernel-record.js';
import { KernelLogUnavailable, type KernelLogWatch, type Target } from '../targets/target.js';

interface Window {
  readonly key: string;
  readonly start: number;
  end: number | undefined;
}

const IDLE_FLUSH_MS = 250;
// svmtest reads a test's start and end lines a few milliseconds after the test printed them
// (measured 5–10 ms on the host; targets that poll say their own): windows are moved back by that much.
const OBSERVATION_LAG_S = 0.01;

/**
 * Follows the target's kernel log during a run and hands each classified event to the test
 * whose time window (in the kernel's own clock) contains it.
 */
export class KernelWatch {
  private readonly classifier = new KernelLogClassifier();
  private readonly windows: Window[] = [];
  private readonly early: KernelEvent[] = [];
  private watch: KernelLogWatch | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  private readonly lag: number;

  constructor(
    private readonly target: Target,
    private readonly onEvents: (key: string, events: KernelEvent[]) => void,
  ) {
    this.lag = target.observationLag ?? OBSERVATION_LAG_S;
  }

  /** Starts following; returns a note to show once when the kernel log cannot be read. */
  async start(): Promise<string | undefined> {
    try {
      this.watch = await this.target.watchKernelLog((record) => this.onRecord(record));
      return undefined;
    } catch (error) {
      if (error instanceof KernelLogUnavailable) return `kernel log not followed: ${error.message}; tests run without kernel events`;
      throw error;
    }
  }

  get active(): boolean {
    return this.watch !== undefined;
  }

  begin(key: string): void {
    this.windows.push({ key, start: this.target.kernelTime() - this.lag, end: undefined });
    if (this.early.length > 0) this.onEvents(key, this.early.splice(0));
  }

  finish(key: string): void {
    const now = this.target.kernelTime() - this.lag;
    for (let i = this.windows.length - 1; i >= 0; i--) {
      if (this.windows[i]!.key === key && this.windows[i]!.end === undefined) {
        this.windows[i]!.end = now;
        break;
      }
    }
  }

  /** Waits for records still in flight, then classifies everything pending. */
  async settle(ms = 200): Promise<void> {
    if (!this.watch) return;
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.deliver(this.classifier.flush());
  }

  async stop(): Promise<void> {
    if (this.watch) {
      // Records of the last test are in flight for about the target's observation lag: wait three times that.
      await this.settle(Math.max(20, Math.round(this.lag * 3000)));
      await this.watch.stop();
      this.watch = undefined;
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.deliver(this.classifier.flush());
  }

  private onRecord(record: KernelRecord): void {
    this.classifier.push(record);
    this.deliver(this.classifier.take());
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // A block (a WARNING without its end line, a fault dump) is complete once the log goes quiet.
    this.idleTimer = setTimeout(() => this.deliver(this.classifier.flush()), IDLE_FLUSH_MS);
    this.idleTimer.unref();
  }

  private deliver(events: KernelEvent[]): void {
    for (const event of events) {
      const key = this.ownerOf(event.timestamp);
      if (key === undefined) this.early.push(event);
      else this.onEvents(key, [event]);
    }
  }

  /**
   * The test whose window contains the record; a record in the gap between two tests belongs
   * to the next one (it had started before svmtest saw it), one after every window to the last.
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

import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { writeAll, writeFailure } from '../model/json-file.js';

const MAX_NAME = 120;

/**
 * A file name from a test name that cannot escape its folder: only [A-Za-z0-9._-], no leading
 * dot, bounded length, and a short hash so distinct names never collide after sanitising.
 */
export function safeFileName(name: string): string {
  let safe = name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^[._-]+/, '');
  if (safe.length > MAX_NAME) safe = safe.slice(0, MAX_NAME);
  const hash = createHash('sha1').update(name).digest('hex').slice(0, 8);
  return `${safe || 'test'}-${hash}`;
}

export const DEFAULT_LOG_CAP = 1024 * 1024;

const FLUSH_BYTES = 64 * 1024;

/** One test's output on disk, capped (says so when it cut), written in chunks so a loud test stays cheap. */
export class TestLog {
  private fd: number | undefined;
  private written = 0;
  private truncated = false;
  private broken = false;
  private buffer: string[] = [];
  private buffered = 0;

  constructor(
    private readonly file: string,
    private readonly cap: number,
    private readonly onFailure: (error: Error) => void,
  ) {}

  write(line: string): void {
    if (this.truncated) return;
    const bytes = Buffer.byteLength(line) + 1;
    if (this.written + bytes > this.cap) {
      this.buffer.push(`\n[svmtest: output truncated after ${this.written} bytes (cap ${this.cap})]`);
      this.truncated = true;
      this.flush();
      return;
    }
    this.buffer.push(line);
    this.written += bytes;
    this.buffered += bytes;
    if (this.buffered >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0 || this.broken) return;
    const text = `${this.buffer.join('\n')}\n`;
    this.buffer = [];
    this.buffered = 0;
    try {
      this.fd ??= openSync(this.file, 'a');
      writeAll(this.fd, Buffer.from(text));
    } catch (error) {
      // Output arrives from event handlers: a full disk is reported to the run, never thrown here.
      this.broken = true;
      this.onFailure(writeFailure(this.file, error));
    }
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  get hasContent(): boolean {
    return this.written > 0 || this.truncated;
  }
}

export class TestLogs {
  private readonly made = new Set<string>();
  private failure: Error | undefined;

  constructor(
    private readonly runDir: string,
    private readonly cap = DEFAULT_LOG_CAP,
    private readonly onFailure: (error: Error) => void = () => undefined,
  ) {}

  get failed(): Error | undefined {
    return this.failure;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.onFailure(error);
  }

  /** Path relative to the run directory, as stored in run.json. */
  relativePath(suite: string, name: string, attempt: number): string {
    return join('logs', safeFileName(suite), `${safeFileName(name)}${attempt > 1 ? `.attempt${attempt}` : ''}.log`);
  }

  open(suite: string, name: string, attempt: number): { log: TestLog; path: string } {
    const path = this.relativePath(suite, name, attempt);
    const dir = join(this.runDir, 'logs', safeFileName(suite));
    if (!this.made.has(dir)) {
      try {
        mkdirSync(dir, { recursive: true });
        this.made.add(dir);
      } catch (error) {
        this.fail(writeFailure(dir, error));
      }
    }
    return { log: new TestLog(join(this.runDir, path), this.cap, (error) => this.fail(error)), path };
  }

  /** Output a parser handed over whole (ctest's JUnit) after the test ended. */
  writeWhole(suite: string, name: string, attempt: number, output: string): string {
    const opened = this.open(suite, name, attempt);
    for (const line of output.split('\n')) opened.log.write(line);
    opened.log.close();
    return opened.path;
  }
}

import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { parseKernelLine, type KernelRecord } from '../parsers/kernel-record.js';
import type { KernelLogWatch } from './target.js';

// Read in the event loop, never blocking: the kernel answers EAGAIN when no record is waiting.
const POLL_MS = 20;
// One tick reads at most this many records, then yields to the event loop (a flood must not starve it).
const RECORDS_PER_TICK = 4000;
// /dev/kmsg hands out one record per read, its text at most ~8 KiB (CONSOLE_EXT_LOG_MAX).
const RECORD_MAX = 16 * 1024;
// A kernel log buffer holds at most a few hundred thousand records (32 MiB at the largest): reading
// the backlog, or what is waiting at the end, stops after this many ticks' worth.
const BACKLOG_ROUNDS = 100;
const HEADER = /^\d+,(\d+),/;

/**
 * /dev/kmsg's records → kernel records, counting those lost: a gap in the sequence numbers is
 * records overwritten before they were read.
 */
export class KmsgRecords {
  private lastSeq: number | undefined;
  /** Records overwritten before they were read, since the watch began. */
  lost = 0;

  constructor(private readonly onRecord: (record: KernelRecord) => void) {}

  /** A record logged before the watch began: only its place in the sequence is kept. */
  skip(text: string): void {
    const header = HEADER.exec(text);
    if (header) this.lastSeq = Number(header[1]);
  }

  /** One read's worth: `pri,seq,usec,flags;text` and its dictionary lines. */
  take(text: string): void {
    const header = HEADER.exec(text);
    if (!header) return;
    const seq = Number(header[1]);
    if (this.lastSeq !== undefined && seq > this.lastSeq + 1) this.lost += seq - this.lastSeq - 1;
    this.lastSeq = seq;
    // The first line is the record; lines after it are its dictionary (" SUBSYSTEM=…").
    const newline = text.indexOf('\n');
    const record = parseKernelLine(newline >= 0 ? text.slice(0, newline) : text);
    if (record) this.onRecord(record);
  }
}

/**
 * Follows the host's /dev/kmsg in this process, from now on: the buffer the kernel replays from
 * its oldest record is read through at once and skipped (by its place in the log, not by a clock:
 * the log's timestamps need not be CLOCK_MONOTONIC). A reader that falls behind a flood finds its
 * next record overwritten (EPIPE): it goes on from the oldest one still there, and the run says
 * how many were lost — never a log silently cut short.
 */
export function followKmsg(onRecord: (record: KernelRecord) => void): KernelLogWatch {
  const fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  const buffer = Buffer.alloc(RECORD_MAX);
  const records = new KmsgRecords(onRecord);
  let failure: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  /** Reads what is waiting; true when more may be (the tick's share was used up). */
  const drain = (limit: number, use: (text: string) => void = (text) => records.take(text)): boolean => {
    for (let n = 0; n < limit; n++) {
      let size: number;
      try {
        size = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
        if (code === 'EPIPE') continue; // overwritten: the next read is the oldest record still there
        if (code === 'EINTR') continue;
        failure = `reading /dev/kmsg failed (${code ?? String(error)}); kernel records after that were not followed`;
        return false;
      }
      if (size === 0) return false;
      use(buffer.toString('utf8', 0, size));
    }
    return true;
  };

  /** Everything waiting now, bounded (a flood meanwhile cannot keep this going for ever). */
  const drainAll = (use?: (text: string) => void) => {
    for (let rounds = 0; !failure && rounds < BACKLOG_ROUNDS && drain(RECORDS_PER_TICK, use); rounds++) {
      // the rest of what is waiting
    }
  };

  // The backlog: read through, skipped.
  drainAll((text) => records.skip(text));
  const tick = () => {
    if (closed) return;
    const more = drain(RECORDS_PER_TICK);
    if (failure) return;
    timer = more ? setTimeout(tick, 0) : setTimeout(tick, POLL_MS);
    timer.unref(); // the run's own work keeps the process alive, never the follower
  };
  tick();

  return {
    stop: async () => {
      if (closed) return;
      if (timer) clearTimeout(timer);
      // What the kernel logged up to now is read before the file is closed.
      drainAll();
      closed = true;
      closeSync(fd);
    },
    poll: () => {
      if (!closed && !failure) drain(RECORDS_PER_TICK);
    },
    problems: () => [
      ...(records.lost > 0
        ? [`${records.lost} kernel log record${records.lost === 1 ? ' was' : 's were'} overwritten before svmtest read them: kernel events may be missing`]
        : []),
      ...(failure ? [failure] : []),
    ],
  };
}

// The kernel rate-limits writes to /dev/kmsg per open file (ratelimit_default_init: 10 records in
// 5 s) and drops the rest without an error, unless printk_devkmsg is "on".
const WRITES_PER_OPEN = 10;

/**
 * Writes records into the host's kernel log, each logged before the call returns (in order with
 * the kernel's own). A file is used for at most as many writes as the kernel's rate limit lets
 * through, then a fresh one is opened: never a mark dropped, and not an open per mark (an open
 * costs ~40 µs; a run writes two marks a test).
 */
export class KmsgWriter {
  private fd: number | undefined;
  private writes = 0;

  /** `writesPerOpen`: the rate limit's burst, or Infinity where printk_devkmsg is "on". */
  constructor(
    private readonly path = '/dev/kmsg',
    private readonly writesPerOpen = WRITES_PER_OPEN,
  ) {}

  write(text: string): void {
    if (this.fd !== undefined && this.writes >= this.writesPerOpen) this.close();
    this.fd ??= openSync(this.path, 'w');
    this.writes++;
    try {
      writeSync(this.fd, `<6>${text}\n`);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.writes = 0;
  }
}

/** How many writes one open of /dev/kmsg lets through: all of them if the kernel's rate limit is off. */
export function kmsgWritesPerOpen(printkDevkmsg: string | undefined): number {
  return printkDevkmsg?.trim() === 'on' ? Number.POSITIVE_INFINITY : WRITES_PER_OPEN;
}

import { cleanLine } from './text.js';

/** One kernel log line, whatever it came from (dmesg, journalctl -k, /dev/kmsg, serial console). */
export interface KernelRecord {
  /** Seconds since boot; null when the source carries no kernel timestamp (journalctl short). */
  readonly timestamp: number | null;
  /** syslog priority 0–7 when known (kmsg, `<3>` prefixes). */
  readonly priority?: number;
  readonly text: string;
  readonly raw: string;
}

const KMSG = /^(\d+),(\d+),(\d+),[^;]*;(.*)$/;
const DMESG = /^(?:<(\d)>)?\[\s*(\d+\.\d+)\] ?(.*)$/;
const JOURNAL_MONOTONIC = /^\[\s*(\d+\.\d+)\] \S+ kernel: ?(.*)$/;
const JOURNAL_SHORT = /^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) \S+ kernel: ?(.*)$/;
const DMESG_DECODED = /^(\w+)\s*:(\w+)\s*: (?:\[\s*(\d+\.\d+)\] ?)?(.*)$/;
const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'];

/**
 * Reads one line of any supported kernel log format. Returns undefined for lines that are not
 * kernel records: kmsg dictionary continuations, and (with `strict`) un-prefixed serial console
 * lines, which are userspace output interleaved with the kernel's.
 */
export function parseKernelLine(input: string, strict = false): KernelRecord | undefined {
  const raw = cleanLine(input).trimEnd();
  if (raw.startsWith(' ') && /^ [A-Z_]+=/.test(raw)) return undefined; // /dev/kmsg dictionary line
  let m = KMSG.exec(raw);
  if (m) return { timestamp: Number(m[3]) / 1e6, priority: Number(m[1]) & 7, text: m[4]!, raw };
  m = JOURNAL_MONOTONIC.exec(raw);
  if (m) return { timestamp: Number(m[1]), text: m[2]!, raw };
  m = DMESG.exec(raw);
  if (m) return { timestamp: Number(m[2]), ...(m[1] !== undefined ? { priority: Number(m[1]) } : {}), text: m[3]!, raw };
  m = JOURNAL_SHORT.exec(raw);
  if (m) return { timestamp: null, text: m[1]!, raw };
  m = DMESG_DECODED.exec(raw);
  if (m && LEVELS.includes(m[2]!)) {
    return { timestamp: m[3] !== undefined ? Number(m[3]) : null, priority: LEVELS.indexOf(m[2]!), text: m[4]!, raw };
  }
  if (strict) return undefined;
  return { timestamp: null, text: raw, raw };
}

import { parse } from 'yaml';

export interface LogEntry {
  readonly level: string;
  readonly message: unknown;
}

/** One line of a LAVA job log (YAML, one `- {dt, lvl, msg}` mapping a line); undefined when it is none. */
export function logEntry(line: string): LogEntry | undefined {
  const text = line.startsWith('- ') ? line.slice(2) : line;
  let entry: { lvl?: unknown; msg?: unknown } | undefined;
  try {
    entry = JSON.parse(text) as typeof entry;
  } catch {
    try {
      entry = parse(text) as typeof entry;
    } catch {
      return undefined;
    }
  }
  if (!entry || typeof entry !== 'object' || typeof entry.lvl !== 'string') return undefined;
  return { level: entry.lvl, message: entry.msg };
}

/** What LAVA said went wrong in a job: its last error, or the error of a failed action's result. */
export function failureOf(entries: readonly LogEntry[]): string | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const { level, message } = entries[i]!;
    if (level === 'error' && typeof message === 'string') return message;
    if (level === 'results' && message && typeof message === 'object') {
      const extra = (message as { extra?: { error_msg?: unknown } }).extra;
      if (typeof extra?.error_msg === 'string') return extra.error_msg;
    }
  }
  return undefined;
}

/**
 * Marker records in the machine's kernel log: "svmtest-mark <secret> start|end <suite/test>",
 * written before and after each test, in sequence with the kernel's own records. A kernel
 * record belongs to the test whose markers enclose it in the log itself — no clock involved.
 * The secret is per run, so neither an earlier run nor a test can pass for svmtest's marks.
 */
export const MARK_WORD = 'svmtest-mark';

/** start/end: a test's; ready: the first mark of a run, read back to prove marks reach the log. */
export type MarkKind = 'start' | 'end' | 'ready';

export interface KernelMark {
  readonly kind: MarkKind;
  readonly id: string;
}

/** What writes marks into the target's kernel log (one record per mark, in order). */
export interface KernelMarkWriter {
  write(text: string): void;
  close(): Promise<void>;
}

/** Which suite's tests a command's result channel names, and the run's secret: for targets that mark from the channel. */
export interface ChannelMarkSpec {
  readonly secret: string;
  readonly suite: string;
}

// A kernel log record is one line: a name's control characters must not end it early.
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

export function markText(secret: string, kind: MarkKind, id = ''): string {
  return kind === 'ready' ? `${MARK_WORD} ${secret} ready` : `${MARK_WORD} ${secret} ${kind} ${oneLine(id)}`;
}

/** The mark a record's text carries, when it is one of this run's. */
export function parseMark(text: string, secret: string): KernelMark | undefined {
  const prefix = `${MARK_WORD} ${secret} `;
  const at = text.indexOf(prefix);
  if (at < 0 || text.slice(0, at).trim() !== '') return undefined;
  const rest = text.slice(at + prefix.length);
  if (rest.trimEnd() === 'ready') return { kind: 'ready', id: '' };
  const space = rest.indexOf(' ');
  const kind = rest.slice(0, space);
  if (space < 0 || (kind !== 'start' && kind !== 'end')) return undefined;
  return { kind, id: rest.slice(space + 1).trimEnd() };
}

// Console logs arrive decorated: colours, CI timestamps, CRs. Strip those before looking at structure.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]/g;
const CI_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z? /;

export function stripAnsi(line: string): string {
  return line.includes('\x1b') ? line.replace(ANSI, '') : line;
}

export function cleanLine(line: string): string {
  let out = line.endsWith('\r') ? line.slice(0, -1) : line;
  out = stripAnsi(out);
  if (out.length > 20 && out.charCodeAt(4) === 45 /* - */) out = out.replace(CI_TIMESTAMP, '');
  return out;
}

export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function cleanLines(text: string): string[] {
  return splitLines(text).map(cleanLine);
}

/**
 * A copy of `text` that holds nothing else. V8 makes a substring of 13 characters or more a view
 * into the string it was cut from: a test name cut from one piece of a file being parsed would keep
 * that whole piece alive, and the names of 100,000 tests keep the whole file (40 MB more heap, and
 * the garbage collector copying it). JSON's round trip is exact for every string.
 */
export function detached(text: string): string {
  return text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string);
}

const MESSAGE_MAX_LINES = 20;
const MESSAGE_MAX_CHARS = 2000;

/** A message as stored in run.json: the first lines that matter, bounded. */
export function trimMessage(lines: readonly string[]): string | undefined {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === '') start++;
  while (end > start && lines[end - 1]!.trim() === '') end--;
  if (start === end) return undefined;
  const kept = lines.slice(start, Math.min(end, start + MESSAGE_MAX_LINES));
  let text = kept.join('\n');
  if (end - start > MESSAGE_MAX_LINES) text += `\n… (${end - start - MESSAGE_MAX_LINES} more lines)`;
  if (text.length > MESSAGE_MAX_CHARS) text = `${text.slice(0, MESSAGE_MAX_CHARS)}…`;
  return text;
}

export function trimText(text: string | undefined): string | undefined {
  return text === undefined ? undefined : trimMessage(splitLines(text.replace(/\r/g, '')));
}

// Where a failure report starts: gtest "file:line: Failure", Catch2 "file:line: FAILED:", a sanitizer or a signal.
const FAILURE_START = /^.*:\d+: (?:Failure|FAILED:|error:)|^(?:==\d+==ERROR|AddressSanitizer|terminate called|Segmentation fault|Aborted)/;

/** The first failure block of a test's output, or the whole (trimmed) output when none is recognised. */
export function firstFailureBlock(lines: readonly string[]): string | undefined {
  const start = lines.findIndex((line) => FAILURE_START.test(line));
  if (start < 0) return trimMessage(lines);
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (FAILURE_START.test(lines[i]!) || /^={20,}$/.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  return trimMessage(lines.slice(start, end));
}

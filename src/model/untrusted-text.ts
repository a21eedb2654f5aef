// Test names, test output and input files are untrusted: before any of it reaches a terminal or
// a CI log, control characters and escape sequences are made visible and nothing can pass for a
// GitHub Actions workflow command (`::cmd::` at a line start after whitespace, `##[cmd]` anywhere).

// C0 controls except \t and \n, DEL, C1 controls, line/paragraph separators, bidi overrides and
// isolates, the bidi marks (LRM, RLM, ALM) and the invisible ones (zero-width space, joiners, word
// joiner, invisible operators, Mongolian vowel separator, BOM): a name holding them can look like another.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
// SGR (colour) sequences are the only escapes svmtest itself writes; guardOutput lets them through.
// eslint-disable-next-line no-control-regex
const SGR_OR_UNSAFE = new RegExp(`\\x1b\\[[0-9;]*m|${UNSAFE_CHARS.source}`, 'g');
const WORKFLOW_COMMAND_START = /^(\s*):(?=:)/gm;
const LEGACY_WORKFLOW_COMMAND = /##\[/g;

function visible(char: string): string {
  const code = char.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

function guardCommands(text: string): string {
  return text.replace(WORKFLOW_COMMAND_START, '$1\\x3a').replace(LEGACY_WORKFLOW_COMMAND, '#\\x23[');
}

/** Untrusted text, possibly several lines: every control character visible, no workflow command. */
export function neutralize(text: string): string {
  return guardCommands(text.replace(UNSAFE_CHARS, visible));
}

/** Untrusted text shown on one line (a name, a first failure line): newlines become visible too. */
export function neutralizeLine(text: string): string {
  return neutralize(text.replace(/\r?\n/g, '\\n'));
}

/**
 * The last guard before bytes reach stdout/stderr: svmtest's own colours survive, any other
 * escape or control character is made visible, and no line can start a workflow command.
 */
export function guardOutput(text: string): string {
  return guardCommands(text.replace(SGR_OR_UNSAFE, (match) => (match.length > 1 ? match : visible(match))));
}

/** Would the GitHub Actions runner read this line as a workflow command? (The runner's own rule.) */
export function isWorkflowCommand(line: string): boolean {
  return line.trimStart().startsWith('::') || line.includes('##[');
}

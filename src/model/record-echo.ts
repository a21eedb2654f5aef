import { createHash } from 'node:crypto';

/**
 * The line format in which a run inside a lab job (LAVA) echoes what it records to its console, for
 * svmtest on the submitting machine to journal as it arrives:
 *
 *   SVMTEST:<nonce>:<seq>:<check>:<kind>:<payload in base64>
 *
 * The nonce is the job's own secret (never in a test's environment or argv), so a test cannot forge
 * a line; seq numbers each line from 0, so a lost line is noticed; check (the first 8 hex digits of
 * SHA-256 over kind:payload) catches a line the console mangled. The payload travels as base64: a
 * lab's console log rewrites quotes and drops escape characters (LAVA escapes " for its YAML).
 */
export type EchoKind =
  /** seq 0: the echo starts (payload: svmtest's version). The first such line names the nonce. */
  | 'S'
  /** A journal record, as written (JSON). */
  | 'J'
  /** A chunk of a test's log: path<TAB>offset<TAB>base64. */
  | 'L'
  /** The finished run.json (JSON). */
  | 'R'
  /** The whole journal once more, a record a line, after run.json: repairs what the console lost. */
  | 'F'
  /** The end: payload is the number of F lines. */
  | 'E'
  /** svmtest stopped on an error before run.json: {"kind": "input" | "infra" | …, "message"} (JSON). */
  | 'X';

const PREFIX = 'SVMTEST:';
const KINDS = new Set<string>(['S', 'J', 'L', 'R', 'F', 'E', 'X']);

function check(kind: string, payload: string): string {
  return createHash('sha256').update(`${kind}:${payload}`).digest('hex').slice(0, 8);
}

export function encodeEcho(nonce: string, seq: number, kind: EchoKind, payload: string): string {
  return `${PREFIX}${nonce}:${seq}:${check(kind, payload)}:${kind}:${Buffer.from(payload).toString('base64')}`;
}

export interface EchoLine {
  readonly nonce: string;
  readonly seq: number;
  readonly kind: EchoKind;
  readonly payload: string;
}

/**
 * An echo line found anywhere in a console line (a shell prompt or escape sequence may precede it),
 * or undefined; `damaged` when it has the shape but its check fails.
 */
export function decodeEcho(line: string): EchoLine | { readonly damaged: true; readonly nonce: string } | undefined {
  const at = line.indexOf(PREFIX);
  if (at < 0) return undefined;
  const match = /^SVMTEST:([0-9a-f]{32}):(\d{1,9}):([0-9a-f]{8}):([A-Z]):([A-Za-z0-9+/=]*)\s*$/.exec(line.slice(at));
  if (!match) {
    const nonce = /^SVMTEST:([0-9a-f]{32}):/.exec(line.slice(at))?.[1];
    return nonce ? { damaged: true, nonce } : undefined;
  }
  const [, nonce, seq, sum, kind, encoded] = match as unknown as [string, string, string, string, string, string];
  const payload = Buffer.from(encoded, 'base64').toString('utf8');
  if (!KINDS.has(kind) || check(kind, payload) !== sum) return { damaged: true, nonce };
  return { nonce, seq: Number(seq), kind: kind as EchoKind, payload };
}

import { durationMsOrNone } from './duration.js';

/**
 * gtest's machine channel (`--gtest_stream_result_to=HOST:PORT`, every gtest since 1.6): the
 * framework's own listener writes one `key=value&…` line per event to a socket. Nothing the test
 * prints reaches it, so a result read here is the framework's, not the test's.
 */
export interface StreamPart {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface StreamedEnd {
  readonly name: string;
  readonly passed: boolean;
  readonly durationMs?: number;
  /** The test's failed assertions (and GTEST_SKIP's reason), as the framework reported them. */
  readonly parts: readonly StreamPart[];
}

export interface GtestStreamHandlers {
  onStart(name: string): void;
  onEnd(end: StreamedEnd): void;
}

/** gtest's UrlEncode escapes '=', '&', '%' and newlines as %XX. */
function urlDecode(value: string): string {
  return value.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Splits `event=X&a=1&b=2`; the first key's value may not be encoded (TestStart's name), so `name` takes the rest. */
function fields(line: string): Map<string, string> {
  const map = new Map<string, string>();
  const nameAt = line.indexOf('&name=');
  const head = nameAt >= 0 ? line.slice(0, nameAt) : line;
  for (const pair of head.split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0) map.set(pair.slice(0, eq), urlDecode(pair.slice(eq + 1)));
  }
  if (nameAt >= 0) map.set('name', line.slice(nameAt + '&name='.length));
  return map;
}

export class GtestStreamEvents {
  private suite: string | undefined;
  private open: { name: string; parts: StreamPart[] } | undefined;
  /** The protocol line arrived: the binary streams results. */
  connected = false;
  programEnded = false;

  constructor(private readonly handlers: GtestStreamHandlers) {}

  /** The test started and not yet ended, by the framework's own account. */
  get current(): string | undefined {
    return this.open?.name;
  }

  push(line: string): void {
    if (line.startsWith('gtest_streaming_protocol_version=')) {
      this.connected = true;
      return;
    }
    const f = fields(line.replace(/\r$/, ''));
    switch (f.get('event')) {
      case 'TestCaseStart':
        this.suite = f.get('name');
        break;
      case 'TestStart': {
        const name = this.suite !== undefined ? `${this.suite}.${f.get('name') ?? ''}` : (f.get('name') ?? '');
        this.open = { name, parts: [] };
        this.handlers.onStart(name);
        break;
      }
      case 'TestPartResult':
        this.open?.parts.push({ file: f.get('file') ?? '', line: Number(f.get('line') ?? 0), message: f.get('message') ?? '' });
        break;
      case 'TestEnd': {
        const open = this.open;
        if (!open) break;
        this.open = undefined;
        const ms = durationMsOrNone(f.get('elapsed_time')?.replace(/ms$/, ''), 'ms');
        this.handlers.onEnd({ name: open.name, passed: f.get('passed') === '1', ...(ms !== undefined ? { durationMs: ms } : {}), parts: open.parts });
        break;
      }
      case 'TestProgramEnd':
        this.programEnded = true;
        break;
    }
  }
}

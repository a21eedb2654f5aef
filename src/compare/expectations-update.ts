import type { RunFile, TestResult } from '../model/run.js';
import { isFailing, type Status } from '../model/status.js';

// `svmtest expectations update`: drm/ci expectation files from runs of one setup, as drm/ci's and
// deqp-runner's update scripts make them. Pure: the existing file's text and the runs in, the new
// text out. What a maintainer wrote stays: the header, and the comment block above every entry
// that is still true. Entries that no longer hold go, with their comments; new ones are added at
// the end under a line that says where they came from.

const STATUS_WORD: Partial<Record<Status, string>> = { fail: 'Fail', crash: 'Crash', timeout: 'Timeout' };

export interface ExpectationChanges {
  readonly text: string;
  readonly kept: number;
  readonly added: number;
  readonly removed: number;
}

interface Block {
  /** Comment lines right above the entry (its why). */
  readonly comments: readonly string[];
  readonly line: string;
  readonly key: string;
}

/** An existing file: its header (comments before the first blank line that precedes an entry) and its entries. */
function parseFile(text: string, keyOf: (line: string) => string): { header: string[]; blocks: Block[] } {
  const header: string[] = [];
  const blocks: Block[] = [];
  let pending: string[] = [];
  let seenEntry = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '') {
      // Comments ended by a blank line before any entry belong to the file, not to an entry.
      if (!seenEntry && pending.length > 0) header.push(...pending, '');
      pending = [];
    } else if (trimmed.startsWith('#')) pending.push(line);
    else {
      seenEntry = true;
      blocks.push({ comments: pending, line: trimmed, key: keyOf(trimmed) });
      pending = [];
    }
  }
  if (!seenEntry && pending.length > 0) header.push(...pending);
  return { header, blocks };
}

function render(header: readonly string[], blocks: readonly Block[], added: readonly string[], addedNote: string): string {
  const out = [...header];
  if (out.length > 0 && out.at(-1) !== '') out.push('');
  for (const b of blocks) {
    if (b.comments.length > 0 && out.length > 0 && out.at(-1) !== '') out.push('');
    out.push(...b.comments, b.line);
  }
  if (added.length > 0) {
    if (out.length > 0 && out.at(-1) !== '') out.push('');
    out.push(`# ${addedNote}`, ...added);
  }
  return out.length > 0 ? `${out.join('\n').replace(/\n+$/, '')}\n` : '';
}

function idOf(test: Pick<TestResult, 'suite' | 'name'>): string {
  return `${test.suite}/${test.name}`;
}

/** A regular expression matching exactly this test id (a flakes or skips line). */
function exactPattern(id: string): string {
  return `^${id.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`;
}

/**
 * What the runs say about each test: failing the same way in every run (a fails entry), or
 * flaky — different statuses across the runs, or passing only after a failed attempt.
 */
export function classify(runs: readonly RunFile[]): { fails: Map<string, Status>; flakes: Set<string> } {
  const seen = new Map<string, Status[]>();
  const retried = new Set<string>();
  for (const run of runs) {
    for (const t of run.tests) {
      if (t.status === 'notrun' || t.status === 'skip') continue;
      const id = idOf(t);
      seen.set(id, [...(seen.get(id) ?? []), t.status]);
      if (t.status === 'pass' && t.attempts.some((a) => isFailing(a.status))) retried.add(id);
    }
  }
  const fails = new Map<string, Status>();
  const flakes = new Set<string>();
  for (const [id, statuses] of seen) {
    const distinct = new Set(statuses);
    if (distinct.size > 1 || retried.has(id)) flakes.add(id);
    else if (isFailing(statuses[0]!)) fails.set(id, statuses[0]!);
  }
  return { fails, flakes };
}

/** The new -fails.txt: entries still failing the same way kept (with their comments), new failures added. */
export function updateFails(existing: string, fails: ReadonlyMap<string, Status>, flakes: ReadonlySet<string>, note: string): ExpectationChanges {
  const { header, blocks } = parseFile(existing, (line) => line.slice(0, line.lastIndexOf(',')).trim());
  const want = new Map([...fails].map(([id, s]) => [id, `${id},${STATUS_WORD[s]}`]));
  const kept = blocks.filter((b) => want.get(b.key)?.toLowerCase() === b.line.toLowerCase() && !flakes.has(b.key));
  const keptKeys = new Set(kept.map((b) => b.key));
  const added = [...want].filter(([id]) => !keptKeys.has(id)).map(([, line]) => line);
  return { text: render(header, kept, added, note), kept: kept.length, added: added.length, removed: blocks.length - kept.length };
}

/** The new -flakes.txt: every existing pattern kept (flakes come and go); exact patterns for new flaky tests added. */
export function updateFlakes(existing: string, flakes: ReadonlySet<string>, note: string): ExpectationChanges {
  const { header, blocks } = parseFile(existing, (line) => line);
  const patterns = blocks.map((b) => {
    try {
      return new RegExp(b.line);
    } catch {
      return undefined;
    }
  });
  const added = [...flakes].filter((id) => !patterns.some((p) => p?.test(id))).map(exactPattern);
  return { text: render(header, blocks, added, note), kept: blocks.length, added: added.length, removed: 0 };
}

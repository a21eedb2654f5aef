import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InfraError, InputError } from '../model/errors.js';
import { git } from './git.js';

export type SeriesEntry = { readonly mbox: string } | { readonly b4: string } | { readonly git: string };

export interface SeriesPatches {
  /** mbox texts in order, one per series entry. */
  readonly mboxes: readonly string[];
  /** Hash of their content: part of the artifact cache key. */
  readonly hash: string;
}

async function b4Mbox(messageId: string): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'svmtest-b4-'));
  const result = await execa('b4', ['am', '-o', out, messageId], { reject: false });
  if (result.failed && (result as { code?: string }).code === 'ENOENT') {
    throw new InfraError(`series b4: ${messageId}: b4 is not installed (sudo apt-get install -y b4), or give the series as an mbox file`);
  }
  const mbx = readdirSync(out).filter((f) => f.endsWith('.mbx') || f.endsWith('.mbox'));
  if (result.exitCode !== 0 || mbx.length === 0) {
    throw new InfraError(
      `series b4: ${messageId}: b4 could not fetch it (${String(result.stderr).trim().split('\n').slice(-2).join(' | ') || 'no mbox written'}); without network access, download the series once and give it as mbox:`,
    );
  }
  return readFileSync(join(out, mbx[0]!), 'utf8');
}

/** The series as mbox texts: mbox files, b4 message ids (fetched with b4), or git ranges of the repo. */
export async function loadSeries(entries: readonly SeriesEntry[], repo: string, baseDir: string): Promise<SeriesPatches> {
  const mboxes: string[] = [];
  for (const entry of entries) {
    if ('mbox' in entry) {
      const file = resolve(baseDir, entry.mbox);
      if (!existsSync(file)) throw new InputError(`series mbox ${entry.mbox}: no such file (relative to ${baseDir})`);
      mboxes.push(readFileSync(file, 'utf8'));
    } else if ('b4' in entry) {
      mboxes.push(await b4Mbox(entry.b4));
    } else {
      const out = await git(repo, ['format-patch', '--stdout', entry.git], { allowFail: true });
      if (out.exitCode !== 0 || out.stdout.trim() === '')
        throw new InputError(`series git ${entry.git}: not a commit range in ${repo} (${out.stderr.trim().split('\n')[0] ?? 'empty'})`);
      mboxes.push(out.stdout);
    }
  }
  const hash = createHash('sha256');
  for (const m of mboxes) hash.update(m).update('\0');
  return { mboxes, hash: hash.digest('hex') };
}

/**
 * What a series says about itself: its version ([PATCH v8 …]), the first Message-Id (the cover
 * letter's when it has one), the cover letter's subject and its patch count.
 */
export function seriesProvenance(mboxes: readonly string[]): { version?: number; messageId?: string; subject?: string; patches: number } {
  const all = mboxes.flatMap((m) => subjectsWithPrefix(m));
  const isCover = (s: string) => /\b0+\/\d+\]/.test(s);
  const patches = all.filter((s) => !isCover(s)).length;
  const version = all.map((s) => /\[[^\]]*\bv(\d+)\b[^\]]*\]/i.exec(s)?.[1]).find((v) => v !== undefined);
  const messageId = mboxes.map((m) => /^Message-I[Dd]:\s*<?([^>\s]+)>?/m.exec(m)?.[1]).find((id) => id !== undefined);
  const subject = all.find(isCover)?.replace(/^\[[^\]]*\]\s*/, '');
  return { patches, ...(version ? { version: Number(version) } : {}), ...(messageId ? { messageId } : {}), ...(subject ? { subject } : {}) };
}

function subjectsWithPrefix(mbox: string): string[] {
  return [...mbox.matchAll(/^Subject: (.*)$/gm)].map((m) => m[1]!.trim());
}

function subjects(mbox: string): string[] {
  return [...mbox.matchAll(/^Subject: (?:\[[^\]]*\] )?(.*)$/gm)].map((m) => m[1]!.trim());
}

/**
 * Applies the series with `git am --3way`. A patch that does not apply stops everything with
 * its number and subject and the conflicting files (the worktree is left clean: am --abort).
 */
export async function applySeries(worktree: string, series: SeriesPatches): Promise<number> {
  const all = series.mboxes.flatMap((m) => subjects(m));
  let applied = 0;
  for (const mbox of series.mboxes) {
    const file = join(mkdtempSync(join(tmpdir(), 'svmtest-series-')), 'series.mbox');
    writeFileSync(file, mbox);
    // The committer (svmtest, git.ts) and its date (the author's) fixed: the same base and series give
    // the same commits on every machine, so a run's recorded commit can be found again (bisect --from-history).
    // A cover letter (a thread's 0/N, no diff) is dropped; each patch keeps its Message-Id.
    const result = await git(worktree, ['am', '--3way', '--keep-cr', '--message-id', '--committer-date-is-author-date', '--empty=drop', file], {
      allowFail: true,
    });
    if (result.exitCode !== 0) {
      const text = `${result.stdout}\n${result.stderr}`;
      const failedAt = /Patch failed at (\d+) (.*)/.exec(text);
      const number = applied + (failedAt ? Number(failedAt[1]) : 1);
      const subject = failedAt?.[2]?.trim() ?? all[number - 1] ?? '(unknown subject)';
      const conflicts = [
        ...new Set([...text.matchAll(/(?:CONFLICT \(content\): Merge conflict in |error: patch failed: |error: )([^\s:]+)/g)].map((m) => m[1]!)),
      ].filter((f) => !/^(could|Failed|sha1|patch|Did)$/.test(f));
      await git(worktree, ['am', '--abort'], { allowFail: true });
      throw new InfraError(
        `patch ${number}/${all.length} "${subject}" does not apply to the pinned base${conflicts.length > 0 ? `; conflicting files: ${conflicts.join(', ')}` : ''}`,
      );
    }
    applied += subjects(mbox).length;
  }
  return applied;
}

import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { loadConfig } from '../config/load.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import {
  historyFlaky,
  historyLocation,
  historyPerf,
  historyRegressions,
  historyShow,
  historyTrend,
  importIntoHistory,
  type PerfTrendItem,
} from '../pipeline/history.js';
import { note, writeOut } from './screen.js';

export interface HistoryFlags {
  db?: string;
  config?: string;
  json?: boolean;
}

const STATUS_LETTER: Record<string, string> = { pass: '.', fail: 'F', crash: 'C', timeout: 'T', skip: 's', notrun: ' ' };

function location(flags: HistoryFlags): string {
  return historyLocation(flags.db, loadConfig(flags.config));
}

/** Every history command's --json: one envelope, {schemaVersion, kind, items}, and what belongs beside the items. */
function json(kind: string, items: readonly unknown[], beside: Record<string, unknown> = {}): ExitCode {
  writeOut(`${JSON.stringify({ schemaVersion: 1, kind, items, ...beside }, null, 1)}\n`);
  return EXIT.ok;
}

export async function historyImportCommand(paths: string[], flags: HistoryFlags & { night?: string }): Promise<ExitCode> {
  const reports = await importIntoHistory(location(flags), paths, flags.night ? { night: flags.night } : {});
  if (flags.json) return json('import', reports);
  for (const r of reports) {
    const shards = r.missingShards ? ` — a shard: incomplete until shards ${r.missingShards.join(', ')} arrive` : '';
    note(`${r.file}: ${r.outcome}${shards}`);
  }
  return EXIT.ok;
}

export async function historyRegressionsCommand(flags: HistoryFlags & { gfx?: string; window?: number }): Promise<ExitCode> {
  const report = await historyRegressions(location(flags), {
    ...(flags.gfx !== undefined ? { gfx: flags.gfx } : {}),
    ...(flags.window ? { window: flags.window } : {}),
  });
  if (flags.json) return json('regressions', report.regressions, { flakyApart: report.flaky });
  if (report.regressions.length === 0) writeOut('no current regressions\n');
  for (const r of report.regressions) {
    writeOut(
      `REGRESSION ${neutralizeLine(`${r.suite}/${r.name}`)} on ${r.gfx || 'no GPU'}: ${r.candidate} ${r.status} (baseline ${r.baseline} passes) on ${r.night}\n`,
    );
    writeOut(
      `    first bad ${r.firstBad?.night ?? '?'}, last good ${r.lastGood?.night ?? 'never in the history'}${r.changed.length > 0 ? `; changed: ${neutralizeLine(r.changed.join('; '))}` : ''}\n`,
    );
    if (r.message) writeOut(`    ${neutralizeLine(r.message)}\n`);
    if (r.events) writeOut(`    kernel: ${r.events}${r.firstEvent ? ` — ${neutralizeLine(r.firstEvent)}` : ''}\n`);
  }
  for (const f of report.flaky) {
    writeOut(
      `flaky (not a regression) ${neutralizeLine(`${f.suite}/${f.name}`)} on ${f.gfx || 'no GPU'}: failed ${f.score.failures} of ${f.score.nights} nights, ${f.score.flips} flips\n`,
    );
  }
  return EXIT.ok;
}

export async function historyFlakyCommand(flags: HistoryFlags & { nights?: number; gfx?: string; variant?: string }): Promise<ExitCode> {
  const flaky = await historyFlaky(location(flags), {
    ...(flags.nights ? { nights: flags.nights } : {}),
    ...(flags.gfx !== undefined ? { gfx: flags.gfx } : {}),
    ...(flags.variant ? { variant: flags.variant } : {}),
  });
  if (flags.json) return json('flaky', flaky);
  if (flaky.length === 0) writeOut('no flaky tests\n');
  for (const f of flaky) {
    writeOut(
      `${f.score.flipRate.toFixed(2).padStart(5)}  ${neutralizeLine(`${f.suite}/${f.name}`)} (${f.variant}, ${f.gfx || 'no GPU'}): failed ${f.score.failures} of ${f.score.nights} nights, ${f.score.flips} flips, ${f.score.retried} passes on retry\n`,
    );
  }
  return EXIT.ok;
}

export async function historyShowCommand(test: string, flags: HistoryFlags): Promise<ExitCode> {
  const strips = await historyShow(location(flags), test);
  if (flags.json) {
    const { strips: items, ...beside } = strips;
    return json('test-history', items, beside);
  }
  writeOut(`${neutralizeLine(`${strips.suite}/${strips.name}`)}  (. pass  F fail  C crash  T timeout  s skip; oldest night first)\n`);
  for (const s of strips.strips) {
    writeOut(
      `  ${s.variant.padEnd(10)} ${(s.gfx || 'no GPU').padEnd(10)} ${s.nights.map((n) => STATUS_LETTER[n.status] ?? '?').join('')}  ${s.score.pattern}${s.score.since ? ` since ${s.score.since}` : ''}\n`,
    );
  }
  return EXIT.ok;
}

export async function historyTrendCommand(flags: HistoryFlags & { nights?: number }): Promise<ExitCode> {
  const t = await historyTrend(location(flags), flags.nights ? { nights: flags.nights } : {});
  if (flags.json) return json('trend', t.nights, { regressions: t.regressions, warnings: t.warnings });
  for (const n of t.nights) {
    const c = n.counts;
    writeOut(
      `${n.night}  ${n.variant.padEnd(10)} ${(n.gfx || 'no GPU').padEnd(10)} ${n.suite.padEnd(10)} ${c.pass ?? 0} pass, ${(c.fail ?? 0) + (c.crash ?? 0) + (c.timeout ?? 0)} failing, ${n.pageFaults} page faults\n`,
    );
  }
  for (const r of t.regressions) writeOut(`${r.night}  regressions on ${r.gfx || 'no GPU'}: ${r.count}\n`);
  for (const w of t.warnings) writeOut(`${w.night}  WARNING ${w.variant} on ${w.gfx || 'no GPU'}: ${neutralizeLine(w.warning)}\n`);
  return EXIT.ok;
}

export async function historyPerfCommand(flags: HistoryFlags & { nights?: number; all?: boolean }): Promise<ExitCode> {
  const items = await historyPerf(location(flags), flags.nights ? { nights: flags.nights } : {});
  if (flags.json) return json('perf', items);
  const shown = flags.all ? items : items.filter((i) => i.slowerSince);
  if (shown.length === 0) writeOut(flags.all ? 'no performance verdicts in the store (ci --repeat records them)\n' : 'nothing is slower on the latest night\n');
  const ratio = (n: PerfTrendItem['nights'][number]) =>
    n.ratio === null ? '–' : `${n.ratio.toFixed(2)}×[${n.low?.toFixed(2) ?? '–'},${n.high?.toFixed(2) ?? '–'}]`;
  for (const item of shown) {
    const last = item.nights.at(-1)!;
    writeOut(
      `${neutralizeLine(`${item.suite}/${item.name}`)} ${neutralizeLine(item.metric)} (${neutralizeLine(item.unit)}, ${item.gfx || 'no GPU'}): ${item.slowerSince ? `SLOWER since ${item.slowerSince}` : last.verdict}, latest ${ratio(last)}\n`,
    );
    writeOut(
      `    ${item.nights.map((n) => `${n.night.slice(5)} ${n.verdict === 'same' ? '=' : n.verdict === 'slower' ? '▲' : '▼'} ${ratio(n)}`).join('  ')}\n`,
    );
  }
  return EXIT.ok;
}

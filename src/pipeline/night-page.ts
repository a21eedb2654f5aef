import type { NightReport } from '../history/night-reports.js';
import { VERDICTS } from '../model/comparison.js';
import { neutralizeLine } from '../model/untrusted-text.js';

// One nightly comparison as a static HTML page of the dashboard (nights/<night>-<family>.html):
// verdict counts, regressions with why they failed, known gaps, flakes, per-suite tables. Every
// string from the store is escaped here, the one place this page is written.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const t = (text: string | null | undefined) => escapeHtml(neutralizeLine(text ?? ''));

/** The page's file name for a night and GPU family key ("gfx90a,gfx942", or "" for none). */
export function nightPageName(night: string, gfx: string): string {
  return `${night}-${gfx ? gfx.replace(/[^a-z0-9]+/gi, '_') : 'nogpu'}.html`;
}

/** A run's directory name where runs are published (`runs/<name>/`): its id, made safe as a path segment. */
export function runDirName(id: string): string {
  const clean = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return clean.slice(0, 120) || '_';
}

export interface LinkStyle {
  /** Where run directories are published by run id, relative to the page or a URL; undefined: local paths. */
  readonly runsBase?: string;
  /** With runs published beside the site: the ids that were (only they are linked). */
  readonly published?: ReadonlySet<string>;
}

/** The test's log, or — for a test that printed nothing, so has no log — its run's run.json. */
function logHref(report: NightReport, log: string | null, links: LinkStyle): string | undefined {
  if (links.published && !links.published.has(report.candidate.runId)) return undefined;
  const path = (log ?? 'run.json').split('/').map(encodeURIComponent).join('/');
  if (links.runsBase) return `${links.runsBase}/${runDirName(report.candidate.runId)}/${path}`;
  return report.candidate.runDir ? `file://${encodeURI(report.candidate.runDir)}/${path}` : undefined;
}

const SECTIONS: ReadonlyArray<{ title: string; verdicts: readonly string[] }> = [
  { title: 'Regressions', verdicts: ['regression', 'worse', 'new-fail', 'missing'] },
  { title: 'Gaps closed and unexpected passes', verdicts: ['gap-closed', 'unexpected-pass'] },
  { title: 'Known gaps (features the series does not have yet)', verdicts: ['known-gap'] },
  { title: 'Flaky', verdicts: ['flaky'] },
  { title: 'Fixed', verdicts: ['fixed'] },
  { title: 'Still failing and expected failures', verdicts: ['still-failing', 'expected-fail'] },
];

export function renderNightPage(report: NightReport, links: LinkStyle): string {
  const family = report.gfx || 'no GPU';
  const title = `svmtest ${report.night} — ${report.candidate.variant} against ${report.baseline.variant} on ${family}`;
  const counts = VERDICTS.filter((v) => (report.counts[v] ?? 0) > 0)
    .map((v) => `<tr><td>${t(v)}</td><td class="n">${report.counts[v]}</td></tr>`)
    .join('\n');
  const sections = SECTIONS.map(({ title: heading, verdicts }) => {
    const rows = report.entries.filter((e) => verdicts.includes(e.verdict));
    if (rows.length === 0) return '';
    const body = rows
      .map((e) => {
        const href = logHref(report, e.log, links);
        const label = e.log ? 'log' : 'run';
        return `<tr><td class="test">${t(`${e.suite}/${e.name}`)}</td><td>${t(e.verdict)}</td><td>${t(e.baseline ?? 'absent')} → ${t(e.candidate ?? 'absent')}</td><td>${t(e.message)}</td><td>${t(e.firstEvent ?? e.events)}</td><td>${href ? `<a href="${escapeHtml(href)}">${label}</a>` : ''}</td></tr>`;
      })
      .join('\n');
    return `<h2>${escapeHtml(heading)} (${rows.length})</h2>
<table><thead><tr><th>test</th><th>verdict</th><th>baseline → candidate</th><th>why (first line)</th><th>first kernel record</th><th>log or run</th></tr></thead><tbody>
${body}
</tbody></table>`;
  }).join('\n');
  const suites = report.suites
    .map(
      (s) =>
        `<tr><td>${t(s.suite)}</td><td>${t(s.variant)}</td>${['pass', 'fail', 'crash', 'timeout', 'skip', 'notrun'].map((k) => `<td class="n">${s.counts[k as keyof typeof s.counts] ?? 0}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const side = (label: string, s: NightReport['baseline']) =>
    `<li>${label}: <b>${t(s.variant)}</b>, run ${t(s.runId)}, kernel ${t(s.kernel ?? '?')}${s.series ? `, ${t(s.series)}` : ''}</li>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; img-src 'self'">
<title>${escapeHtml(title)}</title><link rel="stylesheet" href="../style.css"></head>
<body class="night">
<header><h1>${escapeHtml(title)}</h1><nav><a href="../index.html#overview">overview</a> · <a href="../index.html#regressions">regressions</a></nav></header>
<main>
<ul class="sides">${side('baseline', report.baseline)}${side('candidate', report.candidate)}</ul>
<h2>Verdicts</h2>
<table class="counts"><tbody>
${counts}
</tbody></table>
${sections}
<h2>Per suite</h2>
<table><thead><tr><th>suite</th><th>variant</th><th>pass</th><th>fail</th><th>crash</th><th>timeout</th><th>skip</th><th>not run</th></tr></thead><tbody>
${suites}
</tbody></table>
</main></body></html>
`;
}

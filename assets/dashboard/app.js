// svmtest nightly dashboard: a static page over window.SVMTEST_DATA (data.js), no server, no CDN.
// Every string from the data reaches the page through textContent: a test name is text, never markup.
(() => {
  const data = window.SVMTEST_DATA;
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  };
  const row = (cells) => {
    const tr = el('tr');
    for (const cell of cells) tr.append(cell instanceof Node ? cell : el('td', cell));
    return tr;
  };
  const family = (gfx) => gfx || 'no GPU';

  // Filters: suite, GPU family, variant, text — every table and strip list narrows with them.
  const filters = { suite: '', gfx: '', variant: '', text: '' };
  let showPassing = false;
  const suites = new Set([...data.strips, ...data.regressions, ...data.flaky].map((t) => t.suite));
  const gfxs = new Set([...data.latest.map((l) => l.gfx), ...data.strips.map((s) => s.gfx)]);
  const variants = new Set([...data.strips.map((s) => s.variant), ...data.flaky.map((f) => f.variant)]);
  const fill = (select, values) => {
    for (const v of [...values].sort()) select.append(Object.assign(el('option', family(v)), { value: v }));
  };
  fill($('f-suite'), suites);
  fill($('f-gfx'), gfxs);
  fill($('f-variant'), variants);
  const matches = (t) =>
    (!filters.suite || t.suite === filters.suite) &&
    (!filters.gfx || t.gfx === filters.gfx) &&
    (!filters.variant || !t.variant || t.variant === filters.variant || t.candidate === filters.variant) &&
    (!filters.text || `${t.suite}/${t.name}`.toLowerCase().includes(filters.text.toLowerCase()));

  const testCell = (t) => el('td', `${t.suite}/${t.name}`, 'test');
  // Published run directories are named by run id (as svmtest publishes them: unsafe characters as _).
  const runDirName = (id) => (id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 120) || '_');
  // Without a log, the run's run.json (a directory has no page on a static host).
  const logHref = (r) => {
    const path = (r.log ?? 'run.json').split('/').map(encodeURIComponent).join('/');
    // Published beside the site (--runs): only the runs that were found and copied are linked.
    if (data.published && !data.published.includes(r.runId)) return undefined;
    if (data.linkBase) return `${data.linkBase}/${encodeURIComponent(runDirName(r.runId))}/${path}`;
    return r.runDir ? `file://${encodeURI(r.runDir)}/${path}` : undefined;
  };
  const link = (text, href) => Object.assign(el('a', text), { href });
  const logCell = (r) => {
    const td = el('td');
    const href = logHref(r);
    if (href) td.append(link(r.log ? 'log' : 'run', href));
    const page = nightPage(r.night, r.gfx);
    if (page) td.append(...(td.childNodes.length > 0 ? [document.createTextNode(' · ')] : []), link('night', page));
    return td;
  };
  // A page per nightly comparison (nights/…html), by night and GPU family.
  const pages = new Map((data.nightPages ?? []).map((p) => [`${p.night} ${p.gfx}`, p.page]));
  const nightPage = (night, gfx) => pages.get(`${night} ${gfx}`) ?? [...pages].find(([k]) => k.startsWith(`${night} `))?.[1];
  // Tables render a page of rows at a time: a year of strips for thousands of tests stays quick to open.
  const PAGE = 200;
  const fillTable = (id, items, toRow) => {
    const body = $(id).tBodies[0];
    body.replaceChildren();
    const shown = items.filter(matches);
    const more = (from) => {
      for (const item of shown.slice(from, from + PAGE)) body.append(toRow(item));
      const left = shown.length - from - PAGE;
      if (left <= 0) return;
      const button = el('button', `show ${Math.min(left, PAGE)} more (${left} not shown)`, 'more');
      const tr = row([el('td')]);
      tr.firstChild.append(button);
      button.addEventListener('click', () => {
        tr.remove();
        more(from + PAGE);
      });
      body.append(tr);
    };
    more(0);
    if (shown.length === 0) body.append(row([el('td', 'none', 'empty')]));
  };

  // A strip is drawn on a canvas (one rectangle per run of equal nights), not thousands of elements.
  const STRIP_COLORS = { P: '#6cc283', F: '#e0645a', C: '#a3271d', T: '#e7b43f', S: '#c3c8cf', N: '#c3c8cf' };
  const STATUS_NAMES = { P: 'pass', F: 'fail', C: 'crash', T: 'timeout', S: 'skip', N: 'not run', '.': 'no result' };
  const stripCell = (strip) => {
    const statuses = strip.statuses;
    const td = el('td', undefined, 'strip');
    td.dataset.statuses = statuses;
    const cell = Math.max(4, Math.min(12, Math.floor(900 / Math.max(1, statuses.length))));
    const canvas = el('canvas');
    canvas.width = statuses.length * cell;
    canvas.height = 14;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `nights ${data.nights[0]} to ${data.nights.at(-1)}, oldest first: ${statuses}`);
    const ctx = canvas.getContext('2d');
    for (let start = 0, i = 1; i <= statuses.length; i++) {
      if (i < statuses.length && statuses[i] === statuses[start]) continue;
      const color = STRIP_COLORS[statuses[start]];
      if (color) {
        ctx.fillStyle = color;
        ctx.fillRect(start * cell, 0, (i - start) * cell, 14);
      }
      start = i;
    }
    const at = (e) => Math.min(statuses.length - 1, Math.floor(e.offsetX / cell));
    canvas.addEventListener('mousemove', (e) => {
      const i = at(e);
      canvas.title = `${data.nights[i]}: ${STATUS_NAMES[statuses[i]] ?? statuses[i]} (click: ${strip.failed?.[i] ? 'its log' : "that night's report"})`;
    });
    // A failing night's cell opens that night's log (or its run's run.json); any other, that night's report.
    canvas.addEventListener('click', (e) => {
      const i = at(e);
      const failed = strip.failed?.[i];
      const target = (failed && logHref(failed)) || nightPage(data.nights[i], strip.gfx);
      if (target) location.href = target;
    });
    const label = el('div', `${data.nights[0]} … ${data.nights.at(-1)}`, 'strip-label');
    td.append(canvas, label);
    return td;
  };

  function renderTables() {
    fillTable('regression-table', data.regressions, (r) =>
      row([
        testCell(r),
        family(r.gfx),
        `${r.candidate}: ${r.status}`,
        el('td', r.message ?? '', 'why'),
        el('td', r.firstEvent ?? r.events ?? '', 'kernel'),
        r.firstBad?.night ?? '',
        r.lastGood?.night ?? 'never',
        r.changed.join('; '),
        logCell(r),
      ]),
    );
    fillTable('not-regression-table', data.notRegressions, (r) => row([testCell(r), family(r.gfx), `${r.score.failures} of ${r.score.nights} nights`, r.score.flips]));
    fillTable('flaky-table', data.flaky, (f) => row([testCell(f), f.variant, family(f.gfx), f.score.flipRate.toFixed(2), `${f.score.failures} of ${f.score.nights}`, f.score.retried]));
    const ratio = (n) => (n.ratio === null ? '–' : `${n.ratio.toFixed(2)}× [${n.low?.toFixed(2) ?? '–'}, ${n.high?.toFixed(2) ?? '–'}]`);
    const mark = { slower: '▲', faster: '▼', same: '=' };
    fillTable('perf-table', data.performance ?? [], (p) => {
      const last = p.nights.at(-1);
      const nights = el('td', p.nights.map((n) => `${mark[n.verdict] ?? '?'}${n.ratio === null ? '–' : n.ratio.toFixed(2)}`).join(' '), 'perf-nights');
      nights.title = p.nights.map((n) => `${n.night}: ${n.verdict} ${ratio(n)}, median ${n.baselineMedian} → ${n.candidateMedian}`).join('\n');
      return row([
        testCell(p),
        `${p.metric} (${p.unit}, ${p.better} is better)`,
        family(p.gfx),
        el('td', p.slowerSince ? `slower since ${p.slowerSince}` : last.verdict, p.slowerSince ? 'bad' : ''),
        ratio(last),
        nights,
      ]);
    });
    // Tests that failed most lately first; a test that only ever passed is shown only when asked.
    const recent = (st) => [...st.slice(-7)].filter((c) => c === 'F' || c === 'C' || c === 'T').length * 100 + [...st].filter((c) => c === 'F' || c === 'C' || c === 'T').length;
    const strips = data.strips.filter((s) => showPassing || /[FCT]/.test(s.statuses)).sort((a, b) => recent(b.statuses) - recent(a.statuses));
    fillTable('strip-table', strips, (s) => row([testCell(s), s.variant, family(s.gfx), stripCell(s)]));
  }

  function renderLatest() {
    const box = $('latest');
    box.replaceChildren();
    for (const l of data.latest.filter((x) => !filters.gfx || x.gfx === filters.gfx)) {
      const card = el('div', undefined, 'card');
      card.append(el('h3', `${family(l.gfx)} — ${l.night}`));
      card.append(el('div', `${l.candidate} (kernel ${l.candidateKernel ?? '?'}) against ${l.baseline} (kernel ${l.baselineKernel ?? '?'})`));
      const bad = (l.counts.regression ?? 0) + (l.counts['new-fail'] ?? 0) + (l.counts.missing ?? 0);
      card.append(el('div', bad > 0 ? `${bad} ${bad === 1 ? 'regression, new failure or missing test' : 'regressions, new failures or missing tests'}` : 'no regressions', bad > 0 ? 'bad' : 'good'));
      const parts = Object.entries(l.counts).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`);
      card.append(el('div', parts.join(' · ')));
      const page = nightPage(l.night, l.gfx);
      if (page) card.append(link("that night's report", page));
      box.append(card);
    }
    if (data.latest.length === 0) box.append(el('p', 'no comparisons imported yet', 'empty'));
    // What runs said about themselves (a DUT whose host key was not checked…): shown, never dropped.
    const warnings = $('warnings');
    warnings.replaceChildren();
    const shown = (data.trend.warnings ?? []).filter((w) => (!filters.gfx || w.gfx === filters.gfx) && (!filters.variant || w.variant === filters.variant));
    if (shown.length > 0) {
      warnings.append(el('h2', 'Warnings from the runs'));
      const list = el('ul', undefined, 'warnings');
      for (const w of shown) list.append(el('li', `${w.night} ${w.variant} on ${family(w.gfx)}: ${w.warning}`));
      warnings.append(list);
    }
  }

  // Charts (uPlot): one series per variant and family for pass rates; regressions and kernel events per night.
  const charts = [];
  // The nights that have data: a store of six nights draws six nights, not sixty.
  const firstNight = [...data.trend.nights.map((n) => n.night), ...data.trend.regressions.map((r) => r.night)].sort()[0];
  const from = Math.max(0, firstNight ? data.nights.indexOf(firstNight) : 0);
  const shownNights = data.nights.slice(from);
  function chart(id, series, values) {
    const target = $(id);
    target.replaceChildren();
    if (!window.uPlot || values.length === 0) return;
    const xs = shownNights.map((n) => Date.parse(`${n}T00:00:00Z`) / 1000);
    const colors = ['#2f6fde', '#d0493c', '#2e9b5b', '#a35ed6', '#d38a18', '#5a6473'];
    const opts = {
      width: Math.max(360, target.clientWidth - 12),
      height: 220,
      // Drag across the chart to zoom into those nights; double-click to zoom out.
      cursor: { drag: { x: true, y: false } },
      series: [{ label: 'night', value: (u, v) => (v == null ? '--' : new Date(v * 1000).toISOString().slice(0, 10)) }, ...series.map((label, i) => ({ label, stroke: colors[i % colors.length], width: 2, spanGaps: true }))],
      // Nights are days: ticks on whole days, labelled by date (no clock times).
      axes: [{ incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400], values: (u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(5, 10)) }, { size: 50 }],
    };
    const plot = new window.uPlot(opts, [xs, ...values.map((v) => v.slice(from))], target);
    // A click on a night (not a drag) opens that night's report.
    let down;
    plot.over.addEventListener('mousedown', (e) => (down = e.clientX));
    plot.over.addEventListener('mouseup', (e) => {
      if (down === undefined || Math.abs(e.clientX - down) > 3 || plot.cursor.idx == null) return;
      const page = nightPage(shownNights[plot.cursor.idx], filters.gfx || '');
      if (page) location.href = page;
    });
    charts.push(plot);
  }
  function renderCharts() {
    const cells = data.trend.nights.filter(matches);
    const byKey = new Map();
    for (const c of cells) {
      const key = `${c.variant} ${family(c.gfx)}`;
      const perNight = byKey.get(key) ?? new Map();
      const prev = perNight.get(c.night) ?? { pass: 0, total: 0, events: 0 };
      const ran = Object.entries(c.counts).filter(([s]) => s !== 'skip' && s !== 'notrun').reduce((n, [, v]) => n + v, 0);
      perNight.set(c.night, { pass: prev.pass + (c.counts.pass ?? 0), total: prev.total + ran, events: prev.events + c.pageFaults + c.resets + c.kernelErrors });
      byKey.set(key, perNight);
    }
    const keys = [...byKey.keys()].sort();
    chart('chart-pass', keys, keys.map((k) => data.nights.map((n) => { const v = byKey.get(k).get(n); return v && v.total > 0 ? Math.round((1000 * v.pass) / v.total) / 10 : null; })));
    const regGfx = [...new Set(data.trend.regressions.map((r) => r.gfx))].filter((g) => !filters.gfx || g === filters.gfx).sort();
    chart('chart-regressions', regGfx.map(family), regGfx.map((g) => data.nights.map((n) => data.trend.regressions.find((r) => r.night === n && r.gfx === g)?.count ?? 0)));
    chart('chart-events', keys, keys.map((k) => data.nights.map((n) => byKey.get(k).get(n)?.events ?? null)));
  }

  function render() {
    while (charts.length > 0) charts.pop().destroy();
    renderLatest();
    renderCharts();
    renderTables();
  }

  function showTab() {
    const tab = (location.hash || '#overview').slice(1);
    // A deep link (#regressions) selects a tab; it never scrolls the header off-screen.
    window.scrollTo(0, 0);
    for (const section of document.querySelectorAll('.tab')) section.classList.toggle('active', section.id === tab);
    for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.dataset.tab === tab);
  }

  $('generated').textContent = `${data.nights.length > 0 ? `nights ${data.nights[0]} to ${data.nights.at(-1)}` : 'no nights yet'} · generated ${data.generatedAt}`;
  for (const [id, key] of [['f-suite', 'suite'], ['f-gfx', 'gfx'], ['f-variant', 'variant'], ['f-text', 'text']]) {
    $(id).addEventListener('input', (e) => {
      filters[key] = e.target.value;
      render();
    });
  }
  $('f-passing')?.addEventListener('change', (e) => {
    showPassing = e.target.checked;
    renderTables();
  });
  window.addEventListener('hashchange', showTab);
  showTab();
  render();
  document.body.dataset.ready = 'true';
})();

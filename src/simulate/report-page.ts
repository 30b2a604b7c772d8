/**
 * The inline CSS and script of report.html. The script reads the page's embedded report JSON and
 * draws tables and SVG line charts with DOM calls (text through `textContent`, never markup), so a
 * scenario's strings cannot inject anything. It loads nothing: the SVG namespace is read from an
 * element the parser made, not written as a URL.
 */
export const REPORT_STYLE = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #667085; --bg: #fff; --line: #d0d5dd; --pass: #0a7a3d; --fail: #b42318; --skip: #8a6d00; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8ee; --muted: #9aa3b2; --bg: #14171e; --line: #3a4150; --pass: #4cc38a; --fail: #ff7a6b; --skip: #e2c044; } }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; } h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; } h3 { font-size: 1rem; margin: 1rem 0 0.25rem; }
#verdict { font-weight: 600; font-size: 1.1rem; } .pass { color: var(--pass); } .fail { color: var(--fail); } .skipped { color: var(--skip); }
.hint, #meta { color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 1rem; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 0.25rem; }
svg { width: 100%; height: auto; overflow: visible; } svg text { fill: var(--muted); font-size: 11px; }
svg .axis { stroke: var(--line); } svg .series { fill: none; stroke-width: 1.6; }
.legend { display: flex; flex-wrap: wrap; gap: 0.25rem 0.9rem; margin: 0.25rem 0 0; padding: 0; list-style: none; font-size: 12px; }
.swatch { display: inline-block; width: 0.8rem; height: 0.25rem; margin-right: 0.3rem; vertical-align: middle; }
details { border-top: 1px solid var(--line); padding-top: 0.5rem; margin-top: 1rem; } summary { cursor: pointer; font-weight: 600; font-size: 1.05rem; }
code { font-size: 12px; }
`

export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var SVG_NS = (function () { var d = document.createElement('div'); d.innerHTML = '<svg></svg>'; return d.firstChild.namespaceURI; })();
  var PALETTE = ['#2e7d32', '#c62828', '#1565c0', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#5d4037', '#9e9d24', '#283593', '#d84315', '#00695c', '#4527a0', '#827717', '#37474f'];
  var colours = {};
  function colour(name) { if (!(name in colours)) colours[name] = PALETTE[Object.keys(colours).length % PALETTE.length]; return colours[name]; }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; }
  function svg(tag, attrs) { var e = document.createElementNS(SVG_NS, tag); for (var k in attrs) e.setAttribute(k, String(attrs[k])); return e; }
  function num(x, digits) { if (x === null || x === undefined) return '—'; if (x !== 0 && Math.abs(x) < 0.001) return x.toExponential(2); return Number(x).toFixed(digits === undefined ? 4 : digits); }
  function row(cells, head) { var tr = document.createElement('tr'); cells.forEach(function (c) { var td = el(head ? 'th' : 'td'); if (c instanceof Node) td.appendChild(c); else td.textContent = c; tr.appendChild(td); }); return tr; }

  /** A line chart of named series over xs; at most ~800 points per series are drawn. */
  function lineChart(title, xs, series, opts) {
    opts = opts || {};
    var fig = el('figure'); fig.appendChild(el('figcaption', title));
    var names = Object.keys(series).filter(function (k) { return series[k] && series[k].length === xs.length; });
    if (xs.length === 0 || names.length === 0) { fig.appendChild(el('p', 'no data', 'hint')); return fig; }
    var W = 560, H = 220, L = 48, R = 12, T = 8, B = 28;
    var step = Math.max(1, Math.ceil(xs.length / 800));
    var idx = []; for (var i = 0; i < xs.length; i += step) idx.push(i); if (idx[idx.length - 1] !== xs.length - 1) idx.push(xs.length - 1);
    var ymin = opts.yMin !== undefined ? opts.yMin : 0, ymax = opts.yMax;
    if (ymax === undefined) { ymax = 0; names.forEach(function (n) { series[n].forEach(function (v) { if (v > ymax) ymax = v; }); }); ymax = ymax > 0 ? ymax * 1.05 : 1; }
    var x0 = xs[0], x1 = xs[xs.length - 1]; if (x1 === x0) x1 = x0 + 1;
    function px(x) { return L + ((x - x0) / (x1 - x0)) * (W - L - R); }
    function py(y) { return T + (1 - (y - ymin) / (ymax - ymin)) * (H - T - B); }
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    s.appendChild(svg('title', {})).textContent = title;
    s.appendChild(svg('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }));
    s.appendChild(svg('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }));
    for (var t = 0; t <= 4; t++) {
      var yv = ymin + ((ymax - ymin) * t) / 4, y = py(yv);
      s.appendChild(svg('line', { x1: L - 3, y1: y, x2: W - R, y2: y, class: 'axis', 'stroke-dasharray': t === 0 ? '' : '2 4' }));
      var ty = svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }); ty.textContent = ymax - ymin >= 10 ? yv.toFixed(0) : yv.toFixed(2); s.appendChild(ty);
    }
    for (var u = 0; u <= 5; u++) {
      var xv = Math.round(x0 + ((x1 - x0) * u) / 5);
      var tx = svg('text', { x: px(xv), y: H - B + 16, 'text-anchor': 'middle' }); tx.textContent = String(xv); s.appendChild(tx);
    }
    var xl = svg('text', { x: W - R, y: H - 2, 'text-anchor': 'end' }); xl.textContent = opts.xLabel || 'epoch'; s.appendChild(xl);
    var legend = el('ul', null, 'legend');
    names.forEach(function (n) {
      var pts = idx.map(function (k) { return px(xs[k]).toFixed(1) + ',' + py(series[n][k]).toFixed(1); }).join(' ');
      var line = svg('polyline', { points: pts, class: 'series', stroke: colour(n) });
      line.appendChild(svg('title', {})).textContent = n;
      s.appendChild(line);
      var li = el('li'); var sw = el('span', null, 'swatch'); sw.style.background = colour(n); li.appendChild(sw); li.appendChild(document.createTextNode(n)); legend.appendChild(li);
    });
    fig.appendChild(s); fig.appendChild(legend);
    return fig;
  }

  document.getElementById('meta').textContent = report.mode + ' mode · ' + report.epochs + ' epochs · tempo ' + report.tempo + ' blocks of ' + report.blockTimeMs + ' ms · seed ' + report.seed +
    ' · ' + report.runs.length + (report.runs.length === 1 ? ' run' : ' runs') + (report.description ? ' · ' + report.description : '');

  var ex = document.getElementById('expectations');
  ex.appendChild(row(['', 'run', 'expectation', 'measured', 'against', 'detail'], true));
  if (report.expectations.length === 0) ex.appendChild(row(['', '', 'none in this scenario', '', '', '']));
  report.expectations.forEach(function (e) {
    var status = el('span', e.status === 'pass' ? 'PASS' : e.status === 'fail' ? 'FAIL' : 'SKIP', e.status);
    ex.appendChild(row([status, e.run, e.description, num(e.measured), num(e.threshold), e.detail]));
  });

  var behaviours = [];
  report.runs.forEach(function (r) { Object.keys(r.summary).forEach(function (b) { if (behaviours.indexOf(b) < 0) behaviours.push(b); }); });
  behaviours.forEach(colour);
  var cmp = document.getElementById('compare');
  cmp.appendChild(row(['run', 'hyperparameters'].concat(behaviours), true));
  var first = report.runs[0].hyperparams;
  report.runs.forEach(function (r, i) {
    // The base run uses the manifest's; a variant shows what it changes.
    var changed = Object.keys(r.hyperparams).filter(function (k) { return k !== 'tempo' && (i === 0 || r.hyperparams[k] !== first[k]); });
    var cells = [r.name, changed.map(function (k) { return k + '=' + r.hyperparams[k]; }).join(', ')];
    behaviours.forEach(function (b) {
      var s = r.summary[b];
      if (!s) { cells.push('—'); return; }
      cells.push(s.validatorTrust === null ? 'incentive ' + num(s.incentive, 3) : 'dividends ' + num(s.dividends, 3) + ' (×' + num(s.relativeDividends, 2) + '), vtrust ' + num(s.validatorTrust, 3));
    });
    cmp.appendChild(row(cells));
  });

  var runs = document.getElementById('runs');
  report.runs.forEach(function (r, i) {
    var d = el('details'); if (i === 0) d.open = true;
    d.appendChild(el('summary', 'Run: ' + r.name));
    var charts = el('div', null, 'charts');
    var xs = r.series.epoch;
    charts.appendChild(lineChart('Incentive share by behaviour', xs, r.series.incentive, { yMax: 1 }));
    var divs = {}; Object.keys(r.series.validatorTrust).forEach(function (b) { divs[b] = r.series.dividends[b]; });
    charts.appendChild(lineChart('Dividend share by validator behaviour', xs, divs, { yMax: 1 }));
    charts.appendChild(lineChart('Validator trust (mean per behaviour)', xs, r.series.validatorTrust, { yMax: 1 }));
    charts.appendChild(lineChart('Emission per epoch (TAO) by behaviour', xs, r.series.emission));
    charts.appendChild(lineChart('Uids held', xs, r.series.uids));
    charts.appendChild(lineChart('Registrations and prunings per epoch', xs, { registrations: r.series.registrations, pruned: r.series.pruned }));
    var online = { 'peers online': r.series.peersOnline }; if (r.tabs) online['tabs online'] = r.tabs.online;
    charts.appendChild(lineChart('Peers online', xs, online));
    if (r.tabs) {
      var tabShare = {}; Object.keys(r.tabs.incentive).forEach(function (b) { tabShare[b + ' (tabs)'] = r.tabs.incentive[b]; tabShare[b + ' (all)'] = r.series.incentive[b]; });
      charts.appendChild(lineChart('Incentive share: tabs and all peers, by behaviour', xs, tabShare, { yMax: 1 }));
    }
    if (r.series.latencyMs) charts.appendChild(lineChart('Median latency (ms) by miner behaviour', xs, r.series.latencyMs));
    else charts.appendChild(el('p', 'Latency: not measured in ' + report.mode + ' mode.', 'hint'));
    if (r.series.delivery) charts.appendChild(lineChart('Queries answered (share)', xs, { delivery: r.series.delivery }, { yMax: 1 }));
    else charts.appendChild(el('p', 'Delivery: not measured in ' + report.mode + ' mode.', 'hint'));
    d.appendChild(charts);
    if (r.tabs) {
      d.appendChild(el('h3', 'Tabs (pages of the web app in headless Chromium)'));
      var tt = el('table'); tt.id = 'tabs-' + i;
      tt.appendChild(row(['peer', 'behaviour', 'hotkey', 'incentive share', 'dividend share'], true));
      r.tabs.peers.forEach(function (t) { tt.appendChild(row([String(t.peer), t.behaviour, t.hotkey, num(t.incentive), num(t.dividends)])); });
      d.appendChild(tt);
      d.appendChild(el('p', 'Mean share per epoch over the run. Tabs online at the end: ' + (r.tabs.online.length > 0 ? r.tabs.online[r.tabs.online.length - 1] : 0) + ' of ' + r.tabs.peers.length + '.', 'hint'));
    }
    runs.appendChild(d);
  });

  var notes = document.getElementById('notes');
  report.notes.forEach(function (n) { notes.appendChild(el('li', n)); });
  notes.appendChild(el('li', 'Ran ' + report.runs.length * report.epochs + ' epochs in ' + (report.resources.wallMs / 1000).toFixed(2) + ' s (' + report.resources.epochsPerSecond.toFixed(1) + ' epochs/s).'));
})();
`

import { evaluateExpectations, type ExpectationResult } from './expectations.ts'
import type { BehaviourSummary, RunSeries, SimulationResult, TabFigures } from './run.ts'
import type { CastGroup, Fault } from './scenario.ts'
import { REPORT_SCRIPT, REPORT_STYLE } from './report-page.ts'

export const REPORT_FORMAT = 'webtensor-simulate-report/1'

/** report.json: the figures the HTML plots, and each expectation's verdict. */
export interface ReportJson {
  format: typeof REPORT_FORMAT
  name: string
  description: string
  mode: 'math' | 'exact'
  seed: number
  epochs: number
  tempo: number
  blockTimeMs: number
  cast: CastGroup[]
  faults: Fault[]
  /** True when no expectation failed (skipped ones do not count). */
  passed: boolean
  expectations: ExpectationResult[]
  /** `tabs`: exact mode with tab peers only. */
  runs: { name: string; hyperparams: Record<string, number | boolean>; summary: Record<string, BehaviourSummary>; series: RunSeries; tabs?: TabFigures }[]
  notes: string[]
  resources: { wallMs: number; epochsPerSecond: number }
}

/** Numbers kept to 6 significant digits (the plots need no more, and the file stays small). */
function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v))) as T
}

/** `s` safe inside HTML text and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/**
 * JSON safe inside a `<script type="application/json">` element: every `<` escaped, so neither
 * `</script>` nor `<!--` in a string (a scenario's description, say) can end the element early.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

/** The id of the element that holds the report's JSON inside report.html. */
export const REPORT_DATA_ID = 'report-data'

/**
 * The report of a simulation: `json` (report.json) and `html` (report.html, self-contained: its
 * CSS, script and data are inline, it loads nothing, and its plots are drawn from the same JSON
 * it embeds).
 * @example const { json, html } = buildReport(runMath(scenario))
 */
export function buildReport(result: SimulationResult): { json: ReportJson; html: string } {
  const s = result.scenario
  const expectations = evaluateExpectations(result)
  const json: ReportJson = rounded({
    format: REPORT_FORMAT,
    name: s.name,
    description: s.description,
    mode: result.mode,
    seed: s.seed,
    epochs: s.epochs,
    tempo: s.tempo,
    blockTimeMs: s.blockTimeMs,
    cast: s.cast,
    faults: s.faults,
    passed: expectations.every((e) => e.status !== 'fail'),
    expectations,
    runs: result.runs.map((r) => ({ name: r.name, hyperparams: r.hyperparams, summary: r.summary, series: r.series, ...(r.tabs === undefined || r.tabs === null ? {} : { tabs: r.tabs }) })),
    notes: result.notes,
    resources: result.resources,
  })
  const title = `webtensor simulate: ${s.name}`
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><p id="verdict" class="${json.passed ? 'pass' : 'fail'}">${json.passed ? 'All expectations hold' : 'An expectation failed'}</p><p id="meta"></p></header>
<noscript><p>The plots and tables are drawn by the page's own script from the JSON below; report.json holds the same figures.</p></noscript>
<section><h2>Expectations</h2><table id="expectations"></table></section>
<section id="compare-section"><h2>Runs compared</h2><p class="hint">Mean share per epoch over the whole run; relative dividends = dividend share ÷ stake share among validators (1 = paid in proportion to stake).</p><table id="compare"></table></section>
<section id="runs"></section>
<section><h2>Notes</h2><ul id="notes"></ul></section>
<script type="application/json" id="${REPORT_DATA_ID}">${scriptJson(json)}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`
  return { json, html }
}

/** Reads the report JSON back out of a report.html (for tests and tools). */
export function reportJsonFromHtml(html: string): unknown {
  const open = `<script type="application/json" id="${REPORT_DATA_ID}">`
  const start = html.indexOf(open)
  if (start < 0) throw new Error('no report data in this page')
  const end = html.indexOf('</script>', start)
  return JSON.parse(html.slice(start + open.length, end))
}

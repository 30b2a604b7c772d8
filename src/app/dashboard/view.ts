/**
 * The dashboard's components, shared by /dashboard.html and the miner page's lower half: the
 * metagraph (SDK field names, sortable by header buttons), uPlot charts of incentive, dividends
 * and emission per uid over epochs, the page's own rewards over time, the bonds matrix as a
 * heatmap (canvas, with the same numbers as a table), and the mesh's peer graph (SVG).
 *
 * Every value comes from the network, so everything is built with elements and `textContent`
 * (SVG with createElementNS): a string such as `<img src=x onerror=…>` shows as those characters.
 * Meaning never rests on colour alone: the heatmap's numbers are in its table, the graph's
 * transports are written on a list and drawn with distinct dash patterns, the own row is marked
 * in words.
 */
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { RewardRecord } from '../reward-history.ts'
import { SDK_HEADERS, sdkMetagraphRow } from '../metagraph-table.ts'
import {
  bondsHeatmap, heatColour, METAGRAPH_COLUMNS, metagraphRows, nextSort, peerGraph, plotData, rewardPlotData, sortRows,
  type AlignedSeries, type DashboardEpoch, type MetagraphColumn, type PeerLink, type PlotField,
} from './shape.ts'

/** The plots of per-uid values over epochs, with their titles and units. */
export const PLOTS: readonly { field: PlotField; title: string; unit: string }[] = [
  { field: 'incentive', title: 'Incentive per uid', unit: 'share' },
  { field: 'dividends', title: 'Dividends per uid', unit: 'share' },
  { field: 'emission', title: 'Emission per uid', unit: 'τ' },
]

/** Series shown in a legend at most (more uids: values show on hover, and in the table). */
const LEGEND_MAX = 24
/** Where one epoch of uid `i`'s line sits on the colour wheel: neighbours far apart. */
const seriesColour = (i: number): string => `hsl(${(i * 137.508) % 360} 65% 42%)`
/** Dash patterns the series of a chart cycle through. */
const SERIES_DASH: number[][] = [[], [8, 4], [2, 3], [12, 4, 2, 4]]
/** Dash patterns per transport, so the graph does not rest on colour. */
const TRANSPORT_STYLE: Record<string, { colour: string; dash: string }> = {
  webrtc: { colour: '#15803d', dash: '' },
  websockets: { colour: '#0369a1', dash: '6 3' },
  tcp: { colour: '#7c3aed', dash: '2 3' },
  'circuit-relay': { colour: '#b45309', dash: '10 4 2 4' },
  'relay reservation': { colour: '#64748b', dash: '1 4' },
}
const SVG = 'http://www.w3.org/2000/svg'
/** Shades the heatmap draws with (the exact values are in its table). */
const HEAT_SHADES = 32

export interface DashboardView {
  /** The verified history (any order); the plots, table and heatmap show it. */
  setEpochs(epochs: readonly DashboardEpoch[]): void
  /** The page's own verified rewards (miner page), or null to hide that plot. */
  setRewards(rewards: { hotkey: string; records: readonly RewardRecord[] } | null): void
  /** The mesh links this page holds (null: not on the mesh), and its own peer id. */
  setPeers(self: string | null, links: readonly PeerLink[]): void
  /** The status line (a polite live region; errors are also announced assertively). */
  setStatus(text: string, kind?: 'info' | 'ok' | 'error'): void
  /** Shows a progress bar while the log is read (`null`: none; a number 0..1, or `true` for indeterminate). */
  setProgress(p: number | true | null): void
  /** The subnet's name and netuid from the log's genesis manifest, and its chain. */
  setSubnet(name: string | null, netuid: number | null, genesis: string | null): void
  /** The hotkey whose row is marked as "you". */
  setMine(hotkey: string | null): void
  destroy(): void
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, props: { text?: string; className?: string; attrs?: Record<string, string> } = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag)
  if (props.text !== undefined) e.textContent = props.text
  if (props.className !== undefined) e.className = props.className
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v)
  e.append(...children)
  return e
}

const share = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '—')
/**
 * Builds the dashboard inside `root` (its content is replaced) and returns the handle that feeds it.
 * `withRewards`: include the "my rewards over time" plot (the miner page). `testHook`: also
 * publish the charts' data on `globalThis.__webtensorDashboard` — for tests and benches only.
 */
export function mountDashboard(root: HTMLElement, options: { withRewards?: boolean; withPeers?: boolean; testHook?: boolean } = {}): DashboardView {
  const doc = root.ownerDocument
  const status = el(doc, 'p', { className: 'muted', attrs: { role: 'status', 'aria-live': 'polite', 'data-testid': 'dash-status' } })
  const alert = el(doc, 'p', { className: 'error', attrs: { role: 'alert', 'data-testid': 'dash-error' } })
  alert.hidden = true
  const progress = el(doc, 'progress', { attrs: { 'aria-label': "Reading and verifying the owner's signed log", 'data-testid': 'dash-progress' } })
  progress.hidden = true
  const subnet = el(doc, 'p', { className: 'muted', attrs: { 'data-testid': 'dash-subnet' } })

  // The metagraph table: a button in each header, aria-sort on the sorted one.
  let sort: { column: MetagraphColumn; direction: 'ascending' | 'descending' } = { column: 'uid', direction: 'ascending' }
  const headRow = el(doc, 'tr')
  const headers = new Map<MetagraphColumn, HTMLTableCellElement>()
  for (const column of METAGRAPH_COLUMNS) {
    const button = el(doc, 'button', { text: SDK_HEADERS[column], className: 'sort', attrs: { type: 'button', 'data-column': column } })
    button.addEventListener('click', () => {
      sort = nextSort(sort, column)
      renderTable()
    })
    const th = el(doc, 'th', { attrs: { scope: 'col' } }, button)
    headers.set(column, th)
    headRow.append(th)
  }
  const tbody = el(doc, 'tbody', { attrs: { 'data-testid': 'dash-metagraph' } })
  const caption = el(doc, 'caption', { text: 'Metagraph: no verified epoch yet' })
  const table = el(doc, 'table', { className: 'metagraph' }, caption, el(doc, 'thead', {}, headRow), tbody)

  // The plots.
  const charts = new Map<string, { figure: HTMLElement; box: HTMLElement; plot: uPlot | null; series: number }>()
  const plotSection = el(doc, 'div', { className: 'plots' })
  const figure = (key: string, title: string): HTMLElement => {
    const box = el(doc, 'div', { className: 'chart', attrs: { role: 'img', 'aria-label': `${title}: no data yet` } })
    const note = el(doc, 'figcaption', { text: title })
    const f = el(doc, 'figure', { attrs: { 'data-plot': key, 'data-points': '0' } }, note, box)
    charts.set(key, { figure: f, box, plot: null, series: 0 })
    return f
  }
  for (const p of PLOTS) plotSection.append(figure(p.field, `${p.title} (${p.unit}) over epochs`))
  const rewardsFigure = figure('rewards', 'My verified rewards over epochs (share)')
  rewardsFigure.hidden = options.withRewards !== true

  // Bonds: a canvas heatmap and the same numbers as a table.
  const canvas = el(doc, 'canvas', { attrs: { 'data-testid': 'dash-bonds', role: 'img', 'aria-label': 'Bonds heatmap: no bonds yet' } })
  const bondsTable = el(doc, 'table', { className: 'bonds-table' })
  const bondsDetails = el(doc, 'details', {}, el(doc, 'summary', { text: 'Bonds as a table' }), bondsTable)
  const bondsNote = el(doc, 'p', { className: 'muted', text: 'Rows: validators holding bonds; columns: the uids they bond. Darker is a larger bond; every value is in the table below.' })

  // The peer graph.
  const svg = doc.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', '0 0 480 320')
  svg.setAttribute('role', 'img')
  svg.setAttribute('data-testid', 'dash-peers')
  const svgTitle = doc.createElementNS(SVG, 'title')
  svg.append(svgTitle)
  const peerList = el(doc, 'ul', { className: 'peer-list', attrs: { 'data-testid': 'dash-peer-list' } })
  const legend = el(doc, 'ul', { className: 'legend' }, ...Object.entries(TRANSPORT_STYLE).map(([t, s]) => {
    const line = doc.createElementNS(SVG, 'svg')
    line.setAttribute('width', '36')
    line.setAttribute('height', '8')
    line.setAttribute('aria-hidden', 'true')
    const l = doc.createElementNS(SVG, 'line')
    for (const [k, v] of Object.entries({ x1: '0', y1: '4', x2: '36', y2: '4', stroke: s.colour, 'stroke-width': '2', 'stroke-dasharray': s.dash })) l.setAttribute(k, v)
    line.append(l)
    return el(doc, 'li', {}, line, doc.createTextNode(` ${t}`))
  }))
  const peersSection = el(doc, 'section', { className: 'card', attrs: { 'aria-labelledby': 'dash-peers-h' } }, el(doc, 'h2', { text: 'Peer graph of the mesh', attrs: { id: 'dash-peers-h' } }), svg, legend, peerList)
  peersSection.hidden = options.withPeers !== true

  root.replaceChildren(
    el(doc, 'section', { className: 'card', attrs: { 'aria-labelledby': 'dash-state-h' } }, el(doc, 'h2', { text: 'Subnet', attrs: { id: 'dash-state-h' } }), subnet, status, progress, alert),
    el(doc, 'section', { className: 'card scroll', attrs: { 'aria-labelledby': 'dash-mg-h' } }, el(doc, 'h2', { text: 'Metagraph', attrs: { id: 'dash-mg-h' } }), table),
    el(doc, 'section', { className: 'card', attrs: { 'aria-labelledby': 'dash-plots-h' } }, el(doc, 'h2', { text: 'History', attrs: { id: 'dash-plots-h' } }), plotSection, rewardsFigure),
    el(doc, 'section', { className: 'card scroll', attrs: { 'aria-labelledby': 'dash-bonds-h' } }, el(doc, 'h2', { text: 'Bonds (latest epoch)', attrs: { id: 'dash-bonds-h' } }), bondsNote, canvas, bondsDetails),
    peersSection,
  )

  // The charts follow the page's width.
  const onResize = (): void => {
    for (const c of charts.values()) if (c.plot !== null) c.plot.setSize({ width: width(c.box), height: 220 })
  }
  doc.defaultView?.addEventListener('resize', onResize)

  let epochs: DashboardEpoch[] = []
  let mine: string | null = null

  function renderTable(): void {
    const latest = epochs.at(-1)
    for (const [column, th] of headers) {
      if (column === sort.column) th.setAttribute('aria-sort', sort.direction)
      else th.removeAttribute('aria-sort')
    }
    if (latest === undefined) return
    caption.textContent = `Metagraph after epoch ${latest.epoch} (block ${latest.block}), re-derived from the signed log; sorted by ${sort.column}, ${sort.direction}`
    const rows = sortRows(metagraphRows(latest), sort.column, sort.direction)
    tbody.replaceChildren(...rows.map((r) => sdkMetagraphRow(doc, r, r.hotkey === mine)))
  }

  const width = (box: HTMLElement): number => Math.max(280, Math.min(900, (box.parentElement?.clientWidth ?? 600) - 8))

  function draw(key: string, data: AlignedSeries, labels: string[], unit: string): void {
    const chart = charts.get(key)!
    const series = data.length - 1
    const points = data[0].length
    if (chart.plot !== null && chart.series === series) chart.plot.setData(data as uPlot.AlignedData)
    else {
      chart.plot?.destroy()
      chart.box.replaceChildren()
      const opts: uPlot.Options = {
        width: width(chart.box),
        height: 220,
        legend: { show: series <= LEGEND_MAX },
        scales: { x: { time: false } },
        // Epochs are whole numbers: no tick between two.
        axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, { label: unit, size: 60 }],
        // Colour and a dash pattern per series (the legend shows both), so lines differ without colour too.
        series: [{ label: 'epoch' }, ...labels.map((label, i) => ({ label, stroke: seriesColour(i), dash: SERIES_DASH[i % SERIES_DASH.length]!, width: 1.5, points: { show: points <= 60 } }))],
      }
      chart.plot = new uPlot(opts, data as uPlot.AlignedData, chart.box)
      chart.series = series
    }
    chart.figure.dataset.points = String(points)
    chart.figure.dataset.series = String(series)
    chart.box.setAttribute('aria-label', points === 0 ? `${key}: no data yet` : `${key}: ${series} series over ${points} epochs (${data[0][0]}–${data[0][points - 1]}); the latest values are in the metagraph table`)
  }

  function renderPlots(): void {
    for (const p of PLOTS) {
      const { uids, data } = plotData(epochs, p.field)
      const latest = epochs.at(-1)
      draw(p.field, data, uids.map((u) => `uid ${u}${latest?.detail.hotkey[u] === mine && mine !== null ? ' (you)' : ''}`), p.unit)
    }
  }

  function renderBonds(): void {
    const latest = epochs.at(-1)
    const h = bondsHeatmap(latest?.detail.bonds ?? [])
    const cell = Math.max(6, Math.min(28, Math.floor(720 / Math.max(1, h.cols.length))))
    const left = 56
    const top = 28
    // Resizing reallocates the canvas: only when the grid's size changes.
    const w = left + cell * h.cols.length + 4
    const hh = top + cell * h.rows.length + 4
    if (canvas.width !== w) canvas.width = w
    if (canvas.height !== hh) canvas.height = hh
    const ctx = canvas.getContext('2d')
    if (ctx !== null) {
      ctx.clearRect(0, 0, canvas.width, canvas.height)
      ctx.font = '11px system-ui, sans-serif'
      ctx.fillStyle = '#0f172a'
      h.rows.forEach((r, i) => ctx.fillText(`uid ${r}`, 4, top + i * cell + cell * 0.7))
      if (cell >= 14) h.cols.forEach((c, j) => ctx.fillText(String(c), left + j * cell + 2, top - 8))
      const colAt = new Map(h.cols.map((c, j) => [c, j]))
      const rowAt = new Map(h.rows.map((r, i) => [r, i]))
      // One fill style per shade (setting a colour string per cell is most of the cost on a large subnet).
      const shades = new Map<number, { row: number; col: number }[]>()
      for (const c of h.cells) {
        const shade = h.max > 0 ? Math.round((c.value / h.max) * HEAT_SHADES) : 0
        let list = shades.get(shade)
        if (list === undefined) shades.set(shade, (list = []))
        list.push(c)
      }
      for (const [shade, cells] of shades) {
        ctx.fillStyle = heatColour(shade, HEAT_SHADES)
        for (const c of cells) ctx.fillRect(left + colAt.get(c.col)! * cell, top + rowAt.get(c.row)! * cell, cell - 1, cell - 1)
      }
    }
    canvas.setAttribute('aria-label', h.cells.length === 0 ? 'Bonds heatmap: no bonds yet' : `Bonds heatmap: ${h.rows.length} validators bond ${h.cols.length} uids; the values are in the table "Bonds as a table"`)
    lastHeatmap = h
    if (bondsDetails.open) renderBondsTable()
  }

  // The table (validators × uids: thousands of cells on a large subnet) is built when opened.
  let lastHeatmap: ReturnType<typeof bondsHeatmap> | null = null
  bondsDetails.addEventListener('toggle', () => {
    if (bondsDetails.open) renderBondsTable()
  })
  function renderBondsTable(): void {
    const h = lastHeatmap ?? bondsHeatmap([])
    const head = el(doc, 'tr', {}, el(doc, 'th', { text: 'validator \\ uid', attrs: { scope: 'col' } }), ...h.cols.map((c) => el(doc, 'th', { text: String(c), attrs: { scope: 'col' } })))
    const byRow = new Map<number, Map<number, number>>()
    for (const c of h.cells) byRow.set(c.row, (byRow.get(c.row) ?? new Map()).set(c.col, c.value))
    bondsTable.replaceChildren(
      el(doc, 'thead', {}, head),
      el(doc, 'tbody', {}, ...h.rows.map((r) => el(doc, 'tr', {}, el(doc, 'th', { text: `uid ${r}`, attrs: { scope: 'row' } }), ...h.cols.map((c) => el(doc, 'td', { text: share(byRow.get(r)?.get(c) ?? 0) }))))),
    )
  }

  const view: DashboardView = {
    setEpochs(next) {
      const byEpoch = new Map<number, DashboardEpoch>()
      for (const e of [...next].sort((a, b) => a.epoch - b.epoch)) byEpoch.set(e.epoch, e)
      epochs = [...byEpoch.values()]
      root.dataset.epochs = String(epochs.length)
      renderTable()
      renderPlots()
      renderBonds()
    },
    setRewards(rewards) {
      const f = charts.get('rewards')!.figure
      f.hidden = rewards === null
      if (rewards === null) return
      draw('rewards', rewardPlotData(rewards.records), ['incentive', 'dividends'], 'share')
    },
    setPeers(self, links) {
      peersSection.hidden = false
      const g = self === null ? { nodes: [], edges: [] } : peerGraph(self, links, { width: 480, height: 320 })
      const at = new Map(g.nodes.map((n) => [n.id, n]))
      const shortId = (id: string): string => (id.length > 12 ? `…${id.slice(-6)}` : id)
      const parts: SVGElement[] = [svgTitle]
      svgTitle.textContent = self === null ? 'Not on the mesh' : `This page (${shortId(self)}) and ${g.nodes.length - 1} peers; the links are listed below`
      for (const e of g.edges) {
        const a = at.get(e.from)!
        const b = at.get(e.to)!
        const s = TRANSPORT_STYLE[e.transport] ?? { colour: '#0f172a', dash: '' }
        const line = doc.createElementNS(SVG, 'line')
        for (const [k, v] of Object.entries({ x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: s.colour, 'stroke-width': 2, 'stroke-dasharray': s.dash })) line.setAttribute(k, String(v))
        line.setAttribute('data-transport', e.transport)
        parts.push(line)
      }
      for (const n of g.nodes) {
        const c = doc.createElementNS(SVG, 'circle')
        for (const [k, v] of Object.entries({ cx: n.x, cy: n.y, r: n.self ? 10 : 7, fill: n.self ? '#0284c7' : '#e2e8f0', stroke: '#0f172a' })) c.setAttribute(k, String(v))
        const t = doc.createElementNS(SVG, 'text')
        t.setAttribute('x', String(n.x + 12))
        t.setAttribute('y', String(n.y + 4))
        t.setAttribute('font-size', '11')
        t.textContent = n.self ? `you ${shortId(n.id)}` : shortId(n.id)
        parts.push(c, t)
      }
      svg.replaceChildren(...parts)
      peerList.replaceChildren(...g.edges.map((e) => el(doc, 'li', { className: 'mono', text: `${e.from === self ? 'this page' : e.from} → ${e.to}: ${e.transport}` })))
      if (g.edges.length === 0) peerList.append(el(doc, 'li', { text: self === null ? 'This page is not on the mesh, so it sees no links.' : 'No open link yet: the mesh is being joined.' }))
    },
    setStatus(text, kind = 'info') {
      if (kind === 'error') {
        alert.textContent = text
        alert.hidden = false
      } else {
        alert.hidden = true
        status.textContent = text
        status.className = kind === 'ok' ? 'ok' : 'muted'
      }
    },
    setProgress(p) {
      progress.hidden = p === null
      if (p === true || p === null) progress.removeAttribute('value')
      else progress.value = p
    },
    setSubnet(name, netuid, genesis) {
      subnetLine(subnet, name, netuid, genesis)
    },
    setMine(hotkey) {
      mine = hotkey
      renderTable()
    },
    destroy() {
      doc.defaultView?.removeEventListener('resize', onResize)
      for (const c of charts.values()) c.plot?.destroy()
      root.replaceChildren()
    },
  }
  if (options.testHook === true) {
    // Test/bench only: the charts' data as uPlot holds it.
    ;(globalThis as unknown as { __webtensorDashboard?: unknown }).__webtensorDashboard = {
      data: (key: string) => charts.get(key)?.plot?.data.map((a) => Array.from(a as ArrayLike<number | null>)) ?? null,
    }
  }
  subnetLine(subnet, null, null, null)
  renderTable()
  if (options.withPeers === true) view.setPeers(null, [])
  return view
}

/** Writes the subnet line; `name` comes from the log's genesis manifest (network text: textContent only). */
export function subnetLine(target: HTMLElement, name: string | null, netuid: number | null, genesis: string | null): void {
  target.textContent = name === null ? 'Subnet: not read yet' : `Subnet “${name}” (netuid ${netuid ?? '?'}), chain ${genesis?.slice(0, 10) ?? '?'}…`
}

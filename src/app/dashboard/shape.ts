/**
 * The dashboard's pure parts: verified epochs shaped into uPlot's data arrays, metagraph rows
 * sorted by a column, the bonds matrix as heatmap cells, and a circle layout of the mesh's peer
 * graph. No DOM, no I/O: unit-tested in shape.test.ts.
 */
import type { EpochDetail } from '../../chain/log-verifier.ts'
import { transportOf } from '../../p2p/addrs.ts'

/** One u16 share as a number in 0..1 (65535 = 1, as the chain stores it). */
export const U16_ONE = 65535
const RAO_PER_TAO = 1_000_000_000n

/** One verified epoch as the dashboard keeps it (IndexedDB) and plots it. */
export interface DashboardEpoch {
  /** The chain: hash of its log's entry 0. */
  genesis: string
  epoch: number
  block: number
  /** The log entry that holds it. */
  seq: number
  digest: string
  detail: EpochDetail
}

/** What a plot can show per uid over epochs. */
export type PlotField = 'incentive' | 'dividends' | 'emission' | 'consensus' | 'validator_trust'

/** Rao (decimal string) in τ as a float, exact to the nano for amounts below 2^53 rao. */
export function raoToTao(rao: string): number {
  if (!/^\d{1,40}$/.test(rao)) return Number.NaN
  const r = BigInt(rao)
  return Number(r / RAO_PER_TAO) + Number(r % RAO_PER_TAO) / 1e9
}

const taoOf = new WeakMap<EpochDetail, number[]>()
/** An epoch's emission in τ per uid, converted once per epoch (a redraw re-reads every epoch). */
function emissionTao(d: EpochDetail): number[] {
  let v = taoOf.get(d)
  if (v === undefined) taoOf.set(d, (v = d.emission.map(raoToTao)))
  return v
}

/** The value of `field` for `uid` in one epoch (shares 0..1, emission in τ), or null when the uid did not exist then. */
export function valueAt(e: DashboardEpoch, field: PlotField, uid: number): number | null {
  const d = e.detail
  if (uid >= d.hotkey.length) return null
  if (field === 'emission') return emissionTao(d)[uid] ?? null
  const v = d[field][uid]
  return v === undefined ? null : v / U16_ONE
}

/** uPlot's aligned data: x values (epochs), then one y array per series (null = no point). */
export type AlignedSeries = [number[], ...(number | null)[][]]

/** The series of one plot: the uids plotted, in order, and the data uPlot takes. */
export interface PlotData {
  uids: number[]
  data: AlignedSeries
}

/**
 * Shapes epochs (any order, duplicates by epoch number keep the last) into one plot of `field`:
 * x = epoch numbers ascending, one series per uid that existed in any of them (uid order).
 * A uid missing from an epoch (not yet registered) has a null there, so its line starts later.
 * @example const { uids, data } = plotData(epochs, 'incentive'); new uPlot(opts, data, el)
 */
export function plotData(epochs: readonly DashboardEpoch[], field: PlotField): PlotData {
  const byEpoch = new Map<number, DashboardEpoch>()
  for (const e of epochs) byEpoch.set(e.epoch, e)
  const ordered = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch)
  const n = ordered.reduce((m, e) => Math.max(m, e.detail.hotkey.length), 0)
  const uids = Array.from({ length: n }, (_, i) => i)
  const xs = ordered.map((e) => e.epoch)
  const ys = uids.map((uid) => ordered.map((e) => valueAt(e, field, uid)))
  return { uids, data: [xs, ...ys] }
}

/** A uid's reward records (the page's own history) shaped for a plot: epochs, incentive and dividends as shares. */
export function rewardPlotData(records: readonly { epoch: number; incentive: number; dividends: number }[]): AlignedSeries {
  const sorted = [...records].sort((a, b) => a.epoch - b.epoch)
  return [sorted.map((r) => r.epoch), sorted.map((r) => r.incentive / U16_ONE), sorted.map((r) => r.dividends / U16_ONE)]
}

/** One metagraph row with the Bittensor SDK's field names (shares 0..1, stake and emission in rao). */
export interface MetagraphRow {
  uid: number
  hotkey: string
  stake: string
  consensus: number
  incentive: number
  dividends: number
  emission: string
  validator_trust: number
  validator_permit: boolean
  last_update: number
  active: boolean
}

/** The columns, in the SDK's order (also the table's). */
export const METAGRAPH_COLUMNS = ['uid', 'hotkey', 'stake', 'consensus', 'incentive', 'dividends', 'emission', 'validator_trust', 'validator_permit', 'last_update', 'active'] as const
export type MetagraphColumn = (typeof METAGRAPH_COLUMNS)[number]

/** The metagraph rows after one epoch. */
export function metagraphRows(e: DashboardEpoch): MetagraphRow[] {
  const d = e.detail
  return d.hotkey.map((hotkey, uid) => ({
    uid,
    hotkey,
    stake: d.stake[uid] ?? '0',
    consensus: (d.consensus[uid] ?? 0) / U16_ONE,
    incentive: (d.incentive[uid] ?? 0) / U16_ONE,
    dividends: (d.dividends[uid] ?? 0) / U16_ONE,
    emission: d.emission[uid] ?? '0',
    validator_trust: (d.validator_trust[uid] ?? 0) / U16_ONE,
    validator_permit: d.validator_permit[uid] === true,
    last_update: d.last_update[uid] ?? 0,
    active: d.active[uid] === true,
  }))
}

/** A decimal string of rao as a bigint for comparison (anything else sorts as 0). */
const rao = (s: string): bigint => (/^\d{1,40}$/.test(s) ? BigInt(s) : 0n)

function compare(a: MetagraphRow, b: MetagraphRow, column: MetagraphColumn): number {
  switch (column) {
    case 'stake':
    case 'emission': {
      const x = rao(a[column])
      const y = rao(b[column])
      return x < y ? -1 : x > y ? 1 : 0
    }
    case 'hotkey':
      return a.hotkey < b.hotkey ? -1 : a.hotkey > b.hotkey ? 1 : 0
    case 'validator_permit':
    case 'active':
      return Number(a[column]) - Number(b[column])
    default:
      return a[column] - b[column]
  }
}

/**
 * Rows sorted by `column`, ascending or descending; ties keep uid order (so a sort is stable and
 * reproducible). Rao amounts compare as integers, not as floats or strings.
 */
export function sortRows(rows: readonly MetagraphRow[], column: MetagraphColumn, direction: 'ascending' | 'descending'): MetagraphRow[] {
  const sign = direction === 'ascending' ? 1 : -1
  return [...rows].sort((a, b) => sign * compare(a, b, column) || a.uid - b.uid)
}

/** The sort a header click asks for: the same column flips, a new one starts descending (largest first), uid and hotkey ascending. */
export function nextSort(current: { column: MetagraphColumn; direction: 'ascending' | 'descending' } | null, column: MetagraphColumn): { column: MetagraphColumn; direction: 'ascending' | 'descending' } {
  if (current?.column === column) return { column, direction: current.direction === 'ascending' ? 'descending' : 'ascending' }
  return { column, direction: column === 'uid' || column === 'hotkey' ? 'ascending' : 'descending' }
}

/** The bonds matrix as heatmap cells: `row` is the validator (bond holder), `col` the miner, `value` 0..1. */
export interface Heatmap {
  /** uids with a bond row (validators), in uid order. */
  rows: number[]
  /** uids bonded by anyone, in uid order. */
  cols: number[]
  cells: { row: number; col: number; value: number }[]
  /** The largest value (0 when there is none). */
  max: number
}

/**
 * The bonds (sparse u16 rows per uid) as cells of a heatmap; only validators with bonds are rows
 * and only bonded uids are columns, so a 256-uid subnet with 2 validators is a 2 × k grid.
 */
export function bondsHeatmap(bonds: readonly (readonly (readonly [number, number])[])[]): Heatmap {
  const cells: Heatmap['cells'] = []
  const rows: number[] = []
  const cols = new Set<number>()
  let max = 0
  bonds.forEach((row, uid) => {
    const kept = row.filter(([, b]) => Number.isFinite(b) && b > 0)
    if (kept.length === 0) return
    rows.push(uid)
    for (const [col, b] of kept) {
      const value = b / U16_ONE
      cells.push({ row: uid, col, value })
      cols.add(col)
      max = Math.max(max, value)
    }
  })
  return { rows, cols: [...cols].sort((a, b) => a - b), cells, max }
}

/**
 * A heatmap colour for `value` in 0..`max`: one hue, lightness from pale to dark, so it reads in
 * grey scale too (and every cell's number is in the table beside it).
 */
export function heatColour(value: number, max: number): string {
  const t = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0
  return `hsl(205 80% ${Math.round(95 - t * 70)}%)`
}

/** A link the mesh holds: to `peer`, over `transport`, through `relay` when it is a circuit. */
export interface PeerLink {
  peer: string
  transport: string
  relay?: string
}

export interface GraphNode {
  id: string
  self: boolean
  x: number
  y: number
}
export interface GraphEdge {
  from: string
  to: string
  transport: string
}

/**
 * The mesh as one peer sees it: itself in the centre, its peers on a circle around it (in id
 * order, so the picture is stable), an edge per open link, and a circuit link drawn through its
 * relay (peer → relay over the circuit, self → relay over its own link to the relay).
 */
export function peerGraph(self: string, links: readonly PeerLink[], size: { width: number; height: number }): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const edges: GraphEdge[] = []
  const seen = new Set<string>()
  const others = new Set<string>()
  for (const l of links) {
    if (l.peer === self) continue
    const via = l.transport === 'circuit-relay' && l.relay !== undefined && l.relay !== self ? l.relay : null
    const from = via ?? self
    const key = `${from}>${l.peer}>${l.transport}`
    if (seen.has(key)) continue
    seen.add(key)
    edges.push({ from, to: l.peer, transport: l.transport })
    others.add(l.peer)
    if (via !== null) others.add(via)
  }
  // A relay reached only through circuits still has the page's own link to it, if any; if none is open, it is drawn anyway (the circuit needs one).
  for (const relay of others) {
    if (links.some((l) => l.transport === 'circuit-relay' && l.relay === relay) && !edges.some((e) => e.from === self && e.to === relay)) {
      edges.push({ from: self, to: relay, transport: 'relay reservation' })
    }
  }
  const ids = [...others].sort()
  const cx = size.width / 2
  const cy = size.height / 2
  const r = Math.max(0, Math.min(size.width, size.height) / 2 - 40)
  const nodes: GraphNode[] = [{ id: self, self: true, x: cx, y: cy }]
  ids.forEach((id, i) => {
    const a = (2 * Math.PI * i) / ids.length - Math.PI / 2
    nodes.push({ id, self: false, x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) })
  })
  return { nodes, edges }
}

/** A libp2p connection's remote address as a link: its transport, and the relay for a circuit (`/p2p/RELAY/p2p-circuit/…`). */
export function linkOf(peer: string, remoteAddr: string): PeerLink {
  const transport = transportOf(remoteAddr)
  const relay = transport === 'circuit-relay' ? /\/p2p\/([^/]+)\/p2p-circuit/.exec(remoteAddr)?.[1] : undefined
  return relay === undefined ? { peer, transport } : { peer, transport, relay }
}

/** The dashboard's record of a verified epoch (null when the verifier ran without `detail`). */
export function dashboardEpoch(genesis: string, e: { epoch: number; block: number; seq: number; digest: string; detail?: EpochDetail }): DashboardEpoch | null {
  return e.detail === undefined ? null : { genesis, epoch: e.epoch, block: e.block, seq: e.seq, digest: e.digest, detail: e.detail }
}

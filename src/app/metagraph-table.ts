/**
 * The metagraph table. Every field comes from the network (the owner's signed metagraph, or
 * whoever holds the owner's key), so rows are built with elements and text nodes only: a hotkey
 * such as `"><img src=x onerror=…>` shows as those characters and never becomes markup.
 */
import type { MetagraphColumn, MetagraphRow } from './dashboard/shape.ts'
import type { NeuronRow } from './session.ts'

const RAO_PER_MILLI_TAO = 1_000_000n

/** Stake in τ with three decimals, from rao as a decimal string; '—' when it is not one. */
export function formatTao(stake: string): string {
  if (!/^\d{1,40}$/.test(stake)) return '—'
  return (Number(BigInt(stake) / RAO_PER_MILLI_TAO) / 1000).toFixed(3)
}

/** A share (0..1) with four decimals; '—' for anything that is not a finite number. */
export function formatShare(x: number): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : '—'
}

/** The hotkey as shown in a cell: its first 8 and last 6 characters. */
export function shortHotkey(hotkey: string): string {
  return hotkey.length <= 15 ? hotkey : `${hotkey.slice(0, 8)}…${hotkey.slice(-6)}`
}

function cell(doc: Document, text: string, className?: string): HTMLTableCellElement {
  const td = doc.createElement('td')
  td.textContent = text
  if (className !== undefined) td.className = className
  return td
}

/** One row, `mine` marking the page's own hotkey; the full values sit in `data-*` attributes for tests and tools. */
export function metagraphRow(doc: Document, n: NeuronRow, mine: boolean): HTMLTableRowElement {
  const tr = doc.createElement('tr')
  if (mine) tr.className = 'mine'
  tr.dataset.uid = String(n.uid)
  tr.dataset.hotkey = n.hotkey
  tr.dataset.incentive = String(n.incentive)
  tr.dataset.dividends = String(n.dividends)
  tr.append(
    cell(doc, String(n.uid)),
    cell(doc, shortHotkey(n.hotkey), 'mono'),
    cell(doc, formatTao(n.stake)),
    cell(doc, n.validatorPermit === true ? 'yes' : ''),
    cell(doc, formatShare(n.incentive)),
    cell(doc, formatShare(n.dividends)),
  )
  return tr
}

/** Replaces the rows of `tbody` with one per neuron. */
export function renderMetagraph(tbody: HTMLElement, neurons: readonly NeuronRow[], myHotkey: string | null): void {
  const doc = tbody.ownerDocument
  tbody.replaceChildren(...neurons.map((n) => metagraphRow(doc, n, n.hotkey === myHotkey)))
}

/** The dashboard's column headers: the Bittensor SDK's field names (units where the value is converted). */
export const SDK_HEADERS: Record<MetagraphColumn, string> = {
  uid: 'uid', hotkey: 'hotkey', stake: 'stake (τ)', consensus: 'consensus', incentive: 'incentive', dividends: 'dividends', emission: 'emission (τ)',
  validator_trust: 'validator_trust', validator_permit: 'validator_permit', last_update: 'last_update', active: 'active',
}

/**
 * One row of the dashboard's metagraph, every SDK field in `SDK_HEADERS` order, built from text
 * nodes only. The full hotkey sits in the cell's title and the row's `data-neuron-hotkey` (not
 * `data-hotkey`: the miner page's table above uses that name on the same page); the cell shows its
 * ends, and the page's own row says "(you)" in words, not only by its background.
 */
export function sdkMetagraphRow(doc: Document, r: MetagraphRow, mine: boolean): HTMLTableRowElement {
  const tr = doc.createElement('tr')
  if (mine) tr.className = 'mine'
  tr.dataset.uid = String(r.uid)
  tr.dataset.neuronHotkey = r.hotkey
  const hotkey = cell(doc, shortHotkey(r.hotkey), 'mono nowrap')
  hotkey.title = r.hotkey
  if (mine) {
    const you = doc.createElement('strong')
    you.textContent = ' (you)'
    hotkey.append(you)
  }
  const yes = (b: boolean): string => (b ? 'yes' : 'no')
  tr.append(
    cell(doc, String(r.uid)), hotkey, cell(doc, formatTao(r.stake)), cell(doc, formatShare(r.consensus)), cell(doc, formatShare(r.incentive)),
    cell(doc, formatShare(r.dividends)), cell(doc, formatTao(r.emission)), cell(doc, formatShare(r.validator_trust)), cell(doc, yes(r.validator_permit)),
    cell(doc, String(r.last_update)), cell(doc, yes(r.active)),
  )
  return tr
}

/**
 * The metagraph table. Every field comes from the network (the owner's signed metagraph, or
 * whoever holds the owner's key), so rows are built with elements and text nodes only: a hotkey
 * such as `"><img src=x onerror=…>` shows as those characters and never becomes markup.
 */
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

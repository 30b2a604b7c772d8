/**
 * The dashboard's history of verified epochs in IndexedDB (`idb`): one record per epoch with every
 * uid's metagraph values, for one chain (a new genesis replaces the old chain's records), the
 * latest `cap` epochs kept. Read back on load, so the plots show the history before the log is
 * fetched again. Bonds are kept for the latest epoch only (the heatmap shows that one; at 256 uids
 * a bond matrix is most of an epoch's size): older epochs come back with empty bond rows.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { DashboardEpoch } from './shape.ts'

interface DashboardDb extends DBSchema {
  epochs: { key: number; value: DashboardEpoch }
  meta: { key: string; value: { key: 'chain'; genesis: string } | { key: 'bonds'; epoch: number; bonds: DashboardEpoch['detail']['bonds'] } }
}

/** Epochs kept unless told otherwise. */
export const DASHBOARD_HISTORY_CAP = 1000

export interface EpochHistory {
  /** Adds (or rewrites) epochs of one chain; a new chain's first epochs clear the old one's. */
  add(epochs: readonly DashboardEpoch[]): Promise<void>
  /** Every kept epoch, oldest first, and their chain (null when nothing is kept). */
  list(): Promise<{ genesis: string | null; epochs: DashboardEpoch[] }>
  close(): void
}

/** The epoch without its bonds (what older records keep). */
const withoutBonds = (e: DashboardEpoch): DashboardEpoch => ({ ...e, detail: { ...e.detail, bonds: e.detail.bonds.map(() => []) } })

function checkOneChain(epochs: readonly DashboardEpoch[]): string | null {
  const genesis = epochs[0]?.genesis ?? null
  if (epochs.some((e) => e.genesis !== genesis)) throw new TypeError('add: epochs of one chain at a time')
  return genesis
}

/**
 * Opens (creating on first use) the history.
 * @example const h = await openEpochHistory(); await h.add(epochs); const { epochs } = await h.list()
 */
export async function openEpochHistory(options: { dbName?: string; cap?: number } = {}): Promise<EpochHistory> {
  const cap = options.cap ?? DASHBOARD_HISTORY_CAP
  const db: IDBPDatabase<DashboardDb> = await openDB<DashboardDb>(options.dbName ?? 'webtensor-dashboard', 1, {
    upgrade(d) {
      d.createObjectStore('epochs', { keyPath: 'epoch' })
      d.createObjectStore('meta', { keyPath: 'key' })
    },
  })
  return {
    async add(epochs) {
      const genesis = checkOneChain(epochs)
      if (genesis === null) return
      const tx = db.transaction(['epochs', 'meta'], 'readwrite')
      const store = tx.objectStore('epochs')
      const meta = tx.objectStore('meta')
      const chain = await meta.get('chain')
      const fresh = chain === undefined || !('genesis' in chain) || chain.genesis !== genesis
      if (fresh) {
        await store.clear()
        await meta.delete('bonds')
      }
      await meta.put({ key: 'chain', genesis })
      for (const e of epochs) await store.put(withoutBonds(e))
      const newest = epochs.reduce((a, b) => (b.epoch > a.epoch ? b : a))
      const kept = await meta.get('bonds')
      if (kept === undefined || !('epoch' in kept) || kept.epoch <= newest.epoch) await meta.put({ key: 'bonds', epoch: newest.epoch, bonds: structuredClone(newest.detail.bonds) })
      let excess = (await store.count()) - cap
      for (let cursor = excess > 0 ? await store.openCursor() : null; cursor !== null && excess > 0; cursor = await cursor.continue()) {
        await cursor.delete()
        excess--
      }
      await tx.done
    },
    async list() {
      const chain = await db.get('meta', 'chain')
      if (chain === undefined || !('genesis' in chain)) return { genesis: null, epochs: [] }
      const epochs = await db.getAll('epochs')
      const bonds = await db.get('meta', 'bonds')
      const latest = epochs.at(-1)
      if (latest !== undefined && bonds !== undefined && 'epoch' in bonds && bonds.epoch === latest.epoch) latest.detail.bonds = bonds.bonds
      return { genesis: chain.genesis, epochs }
    },
    close: () => db.close(),
  }
}

/** The same in memory (no IndexedDB in this context): gone with the page. */
export function memoryEpochHistory(cap = DASHBOARD_HISTORY_CAP): EpochHistory {
  let genesis: string | null = null
  const kept = new Map<number, DashboardEpoch>()
  let bonds: { epoch: number; bonds: DashboardEpoch['detail']['bonds'] } | null = null
  return {
    async add(epochs) {
      const g = checkOneChain(epochs)
      if (g === null) return
      if (g !== genesis) {
        kept.clear()
        bonds = null
      }
      genesis = g
      for (const e of epochs) kept.set(e.epoch, withoutBonds(e))
      const newest = epochs.reduce((a, b) => (b.epoch > a.epoch ? b : a))
      if (bonds === null || bonds.epoch <= newest.epoch) bonds = { epoch: newest.epoch, bonds: structuredClone(newest.detail.bonds) }
      const order = [...kept.keys()].sort((a, b) => a - b)
      for (const e of order.slice(0, Math.max(0, order.length - cap))) kept.delete(e)
    },
    async list() {
      const epochs = [...kept.values()].sort((a, b) => a.epoch - b.epoch).map((e) => structuredClone(e))
      const latest = epochs.at(-1)
      if (latest !== undefined && bonds?.epoch === latest.epoch) latest.detail.bonds = structuredClone(bonds.bonds)
      return { genesis, epochs }
    },
    close: () => {},
  }
}

/**
 * The dashboard's history of verified epochs in IndexedDB (`idb`): one record per epoch with every
 * uid's metagraph values, for one chain (a new genesis replaces the old chain's records), the
 * latest `cap` epochs kept. Read back on load, so the plots show the history before the log is
 * fetched again.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { DashboardEpoch } from './shape.ts'

interface DashboardDb extends DBSchema {
  epochs: { key: number; value: DashboardEpoch }
  meta: { key: string; value: { key: string; genesis: string } }
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
      const chain = await tx.objectStore('meta').get('chain')
      if (chain !== undefined && chain.genesis !== genesis) await store.clear()
      await tx.objectStore('meta').put({ key: 'chain', genesis })
      for (const e of epochs) await store.put(structuredClone(e))
      let excess = (await store.count()) - cap
      for (let cursor = excess > 0 ? await store.openCursor() : null; cursor !== null && excess > 0; cursor = await cursor.continue()) {
        await cursor.delete()
        excess--
      }
      await tx.done
    },
    async list() {
      const chain = await db.get('meta', 'chain')
      return { genesis: chain?.genesis ?? null, epochs: chain === undefined ? [] : await db.getAll('epochs') }
    },
    close: () => db.close(),
  }
}

/** The same in memory (no IndexedDB in this context): gone with the page. */
export function memoryEpochHistory(cap = DASHBOARD_HISTORY_CAP): EpochHistory {
  let genesis: string | null = null
  const kept = new Map<number, DashboardEpoch>()
  return {
    async add(epochs) {
      const g = checkOneChain(epochs)
      if (g === null) return
      if (g !== genesis) kept.clear()
      genesis = g
      for (const e of epochs) kept.set(e.epoch, structuredClone(e))
      const order = [...kept.keys()].sort((a, b) => a - b)
      for (const e of order.slice(0, Math.max(0, order.length - cap))) kept.delete(e)
    },
    list: async () => ({ genesis, epochs: [...kept.values()].sort((a, b) => a.epoch - b.epoch) }),
    close: () => {},
  }
}

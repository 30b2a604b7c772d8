/**
 * The page's history of its own rewards, kept in IndexedDB across reloads: for each hotkey, the
 * epochs re-derived from the owner's signed log (not the gossip) with that hotkey's uid,
 * incentive and dividends. One chain per hotkey: records of a new genesis replace the old
 * chain's. Capped at the latest `cap` epochs.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'

/** One verified epoch of one hotkey on one chain (rewards as u16 proportions, as the chain stores them). */
export interface RewardRecord {
  hotkey: string
  /** The chain: hash of its log's entry 0. */
  genesis: string
  epoch: number
  block: number
  /** The log entry that holds the epoch. */
  seq: number
  uid: number
  incentive: number
  dividends: number
  /** The epoch's result digest, as the page's own Yuma run gave it. */
  digest: string
}

/** The chain a hotkey's history belongs to, and when it last grew. */
interface ChainRecord {
  hotkey: string
  genesis: string
  updated: number
}

interface RewardDb extends DBSchema {
  epochs: { key: [string, string, number]; value: RewardRecord }
  chains: { key: string; value: ChainRecord }
}

/** How many epochs are kept per hotkey unless told otherwise. */
export const REWARD_HISTORY_CAP = 500

export interface RewardHistory {
  /** Adds (or rewrites) verified epochs of one hotkey on one chain; a new chain starts a new history. */
  add(records: readonly RewardRecord[]): Promise<void>
  /** A hotkey's history on its latest chain, oldest epoch first. */
  list(hotkey: string): Promise<{ genesis: string | null; records: RewardRecord[] }>
  /** The hotkey whose history grew last (the page shows it before anything runs), or null. */
  latest(): Promise<string | null>
  close(): void
}

// Array keys sort after strings and numbers in IndexedDB: [a, b, []] bounds every [a, b, n].
const MAX = [] as unknown as number

/**
 * Opens the history (creating the database on first use).
 * @example const h = await openRewardHistory(); await h.add(records); (await h.list(hotkey)).records
 */
export async function openRewardHistory(options: { dbName?: string; cap?: number } = {}): Promise<RewardHistory> {
  const cap = options.cap ?? REWARD_HISTORY_CAP
  const db: IDBPDatabase<RewardDb> = await openDB<RewardDb>(options.dbName ?? 'webtensor-rewards', 1, {
    upgrade(d) {
      d.createObjectStore('epochs', { keyPath: ['hotkey', 'genesis', 'epoch'] })
      d.createObjectStore('chains', { keyPath: 'hotkey' })
    },
  })
  return {
    async add(records) {
      const first = records[0]
      if (first === undefined) return
      const { hotkey, genesis } = first
      if (records.some((r) => r.hotkey !== hotkey || r.genesis !== genesis)) throw new TypeError('add: records of one hotkey and one chain at a time')
      const tx = db.transaction(['epochs', 'chains'], 'readwrite')
      const epochs = tx.objectStore('epochs')
      const chain = await tx.objectStore('chains').get(hotkey)
      // A new chain: the old one's epochs mean nothing on it.
      if (chain !== undefined && chain.genesis !== genesis) await epochs.delete(IDBKeyRange.bound([hotkey, chain.genesis, -Infinity], [hotkey, chain.genesis, MAX]))
      for (const r of records) await epochs.put({ ...r })
      // Strictly after every other hotkey's, even within one millisecond: `latest()` orders by it.
      const newest = Math.max(0, ...(await tx.objectStore('chains').getAll()).map((c) => c.updated))
      await tx.objectStore('chains').put({ hotkey, genesis, updated: Math.max(Date.now(), newest + 1) })
      const range = IDBKeyRange.bound([hotkey, genesis, -Infinity], [hotkey, genesis, MAX])
      let excess = (await epochs.count(range)) - cap
      for (let cursor = excess > 0 ? await epochs.openCursor(range) : null; cursor !== null && excess > 0; cursor = await cursor.continue()) {
        await cursor.delete()
        excess--
      }
      await tx.done
    },
    async list(hotkey) {
      const chain = await db.get('chains', hotkey)
      if (chain === undefined) return { genesis: null, records: [] }
      const records = await db.getAll('epochs', IDBKeyRange.bound([hotkey, chain.genesis, -Infinity], [hotkey, chain.genesis, MAX]))
      return { genesis: chain.genesis, records }
    },
    async latest() {
      const chains = await db.getAll('chains')
      return chains.reduce<ChainRecord | null>((best, c) => (best === null || c.updated > best.updated ? c : best), null)?.hotkey ?? null
    },
    close: () => db.close(),
  }
}

/** The same history in memory only (a context without IndexedDB): gone when the page closes. */
export function memoryRewardHistory(cap = REWARD_HISTORY_CAP): RewardHistory {
  const chains = new Map<string, { genesis: string; records: Map<number, RewardRecord> }>()
  let latest: string | null = null
  return {
    async add(records) {
      const first = records[0]
      if (first === undefined) return
      if (records.some((r) => r.hotkey !== first.hotkey || r.genesis !== first.genesis)) throw new TypeError('add: records of one hotkey and one chain at a time')
      let chain = chains.get(first.hotkey)
      if (chain?.genesis !== first.genesis) chains.set(first.hotkey, (chain = { genesis: first.genesis, records: new Map() }))
      for (const r of records) chain.records.set(r.epoch, { ...r })
      const epochs = [...chain.records.keys()].sort((a, b) => a - b)
      for (const e of epochs.slice(0, Math.max(0, epochs.length - cap))) chain.records.delete(e)
      latest = first.hotkey
    },
    async list(hotkey) {
      const chain = chains.get(hotkey)
      return chain === undefined ? { genesis: null, records: [] } : { genesis: chain.genesis, records: [...chain.records.values()].sort((a, b) => a.epoch - b.epoch) }
    },
    latest: async () => latest,
    close: () => {},
  }
}

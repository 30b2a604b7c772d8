/**
 * The dashboard's source: the owner's signed log (`/chain/log.jsonl`), followed over HTTP Range
 * requests and verified in the log verifier worker (owner signature, hash chain, every call's
 * signature, and each epoch re-derived with exact Yuma here). The dashboard trusts no gossip and
 * no server: what it plots is what this browser re-derived. Each verified epoch goes to the
 * IndexedDB history and to `onEpochs`.
 */
import { LogFollower } from '../../chain/log-follower.ts'
import { createLogVerifierWorker } from '../../chain/log-verifier-worker.ts'
import type { VerifierUpdate } from '../../chain/log-verifier.ts'
import type { EpochHistory } from './history-db.ts'
import { dashboardEpoch, type DashboardEpoch } from './shape.ts'

/** Where the owner's web server serves its signed chain log. */
export const LOG_PATH = '/chain/log.jsonl'

export interface LogFeedEvents {
  /** Every kept epoch (history and newly verified), whenever it grew. */
  onEpochs(epochs: DashboardEpoch[]): void
  /** The subnet named by the genesis manifest, and the chain. */
  onSubnet(name: string, netuid: number, genesis: string): void
  /** After each read: the head verified, and the first entry that did not verify (then reading stops). */
  onRead(head: { seq: number; block: number }, divergence: VerifierUpdate['divergence'] | null): void
  /** A read failed (network, server): it is tried again on the next tick. */
  onError(err: unknown): void
}

export interface LogFeed {
  /** Reads what is new now (the loop does this every `intervalMs`). */
  sync(): Promise<void>
  stop(): void
}

/**
 * Starts following the log at `origin` for the subnet owned by `ownerHotkey`.
 * @example const feed = await startLogFeed({ origin: location.origin, ownerHotkey, history, intervalMs: 2000, events })
 */
export async function startLogFeed(options: { origin: string; ownerHotkey: string; history: EpochHistory; intervalMs: number; events: LogFeedEvents }): Promise<LogFeed> {
  const { history, events } = options
  const verifier = createLogVerifierWorker()
  const verifierOptions = { ownerHotkey: options.ownerHotkey, detail: true }
  await verifier.start(verifierOptions)
  const follower = new LogFollower({
    url: new URL(LOG_PATH, options.origin),
    sink: { reset: () => verifier.start(verifierOptions), push: (text) => verifier.push(text) },
  })
  let stopped = false
  let divergence: VerifierUpdate['divergence'] | null = null
  let running: Promise<void> | null = null
  const once = async (): Promise<void> => {
    if (divergence !== null) return
    const r = await follower.sync()
    const fresh: DashboardEpoch[] = []
    let head = { seq: -1, block: 0 }
    for (const u of r.updates) {
      head = u.head
      if (u.divergence !== undefined) divergence = u.divergence
      if (u.genesis !== null && u.subnet !== undefined) events.onSubnet(u.subnet.name, u.subnet.netuid, u.genesis)
      for (const e of u.epochs) {
        const d = u.genesis === null ? null : dashboardEpoch(u.genesis, e)
        if (d !== null) fresh.push(d)
      }
    }
    if (fresh.length > 0) {
      await history.add(fresh).catch((err: unknown) => console.warn('dashboard history: not saved:', err))
      const kept = await history.list()
      events.onEpochs(kept.genesis === fresh[0]!.genesis ? kept.epochs : fresh)
    }
    if (r.updates.length > 0) events.onRead(head, divergence)
  }
  const sync = (): Promise<void> => {
    running ??= once().finally(() => (running = null))
    return running
  }
  const tick = (): void => {
    if (stopped) return
    sync().catch((err: unknown) => events.onError(err)).finally(() => {
      if (!stopped) setTimeout(tick, options.intervalMs)
    })
  }
  tick()
  return {
    sync,
    stop() {
      stopped = true
      verifier.terminate()
    },
  }
}

import type { OwnerNode } from '../chain/owner-node.ts'
import type { EpochOutput } from '../scoring/index.ts'
import { serialiseJson } from '../server/index.ts'

/**
 * The owner's chain counters, as `/api/health` shows them, with the chain's identity: `genesis`
 * (the hash of the log's first entry, the same across owner restarts) and `session` (new on each
 * owner start), so an operator sees a restart continued the chain rather than starting another.
 */
export type ChainStats = ReturnType<OwnerNode<EpochOutput>['stats']> & { genesis: string; session: string }

/** What the owner process tells the web side over IPC (child → parent). */
export type OwnerMessage =
  | { kind: 'ready' }
  | { kind: 'chain'; stats: ChainStats }
  /** The recent epochs' inputs and outputs, serialised once in the child; the parent answers `stored` with the same `seq`. */
  | { kind: 'epochs'; json: string; seq: number }

/** What the parent answers over IPC (parent → child). */
export type ParentMessage = { kind: 'stored'; seq: number }

/** How many past epochs `/api/epochs/recent` serves: a page can recompute the one it was told about even if another ran since. */
export const RECENT_EPOCHS = 4

/** The child's reporter: `check()` sends what changed now; `stop()` ends the periodic checks. */
export interface OwnerReporter {
  /** Returns the `seq` of the epochs message when one was sent. */
  check(): number | undefined
  stop(): void
}

/**
 * Child side: sends the owner's stats and recent epochs whenever they change (checked every
 * `intervalMs`, and whenever `check()` is called), so the parent never asks and never serialises
 * an epoch itself.
 */
export function reportOwner(owner: OwnerNode<EpochOutput>, send: (m: OwnerMessage) => void, intervalMs = 250): OwnerReporter {
  let lastStats = ''
  let lastEpochs = ''
  let seq = 0
  const check = (): number | undefined => {
    const stats: ChainStats = { ...owner.stats(), genesis: owner.genesis, session: owner.session }
    const statsKey = JSON.stringify(stats)
    if (statsKey !== lastStats) {
      lastStats = statsKey
      send({ kind: 'chain', stats })
    }
    const newest = owner.epochs.at(-1)
    const epochsKey = `${owner.epochs.length}:${newest?.epoch ?? ''}:${newest?.block ?? ''}`
    if (epochsKey !== lastEpochs) {
      lastEpochs = epochsKey
      const recent = owner.epochs.slice(-RECENT_EPOCHS).map((e) => ({ epoch: e.epoch, block: e.block, input: e.input, output: e.output }))
      send({ kind: 'epochs', json: serialiseJson(recent), seq: ++seq })
      return seq
    }
    return undefined
  }
  check()
  const timer = setInterval(() => void check(), intervalMs)
  return { check, stop: () => clearInterval(timer) }
}

/**
 * Parent side: the latest of what the owner process reported, kept as the API serves it (the
 * epochs as the child's JSON text, with a version that changes on each report: the API's cache
 * key). A message that does not fit the protocol is dropped.
 */
export class OwnerFeed {
  stats: ChainStats | null = null
  epochsJson = '[]'
  epochsVersion = 0

  /**
   * Applies one IPC message: returns the answer owed to the child (`stored` for epochs), true
   * for another message of the protocol, false for one outside it (dropped).
   */
  accept(message: unknown): ParentMessage | boolean {
    if (typeof message !== 'object' || message === null) return false
    const m = message as Partial<Record<string, unknown>>
    if (m.kind === 'ready') return true
    if (m.kind === 'chain' && isStats(m.stats)) {
      this.stats = m.stats
      return true
    }
    if (m.kind === 'epochs' && typeof m.json === 'string' && Number.isSafeInteger(m.seq)) {
      this.epochsJson = m.json
      this.epochsVersion++
      return { kind: 'stored', seq: m.seq as number }
    }
    return false
  }

  /** The owner process is gone: its counters are no longer live (a restarted owner starts fresh). */
  ownerGone(): void {
    this.stats = null
  }
}

const HEX32 = /^0x[0-9a-f]{64}$/

function isStats(v: unknown): v is ChainStats {
  if (typeof v !== 'object' || v === null) return false
  const s = v as Record<string, unknown>
  return (
    ['block', 'epoch', 'registrations', 'weightsAccepted', 'logHead'].every((k) => Number.isSafeInteger(s[k])) &&
    typeof s.weightsRefused === 'object' &&
    s.weightsRefused !== null &&
    Object.values(s.weightsRefused).every((n) => Number.isSafeInteger(n)) &&
    typeof s.difficulty === 'string' &&
    /^[0-9]{1,39}$/.test(s.difficulty) &&
    typeof s.genesis === 'string' &&
    HEX32.test(s.genesis) &&
    typeof s.session === 'string' &&
    /^[0-9a-f]{16}$/.test(s.session)
  )
}

import type { OwnerNode } from '../chain/owner-node.ts'
import type { EpochOutput } from '../scoring/index.ts'

/**
 * The owner's chain counters, as `/api/health` shows them, with the chain's identity: `genesis`
 * (the hash of the log's first entry, the same across owner restarts) and `session` (new on each
 * owner start), so an operator sees a restart continued the chain rather than starting another.
 */
export type ChainStats = ReturnType<OwnerNode<EpochOutput>['stats']> & { genesis: string; session: string }

/**
 * What the owner process tells the web side over IPC (child → parent). Epochs do not travel here:
 * pages and `webtensor verify` re-derive them from the signed log the server serves from disk.
 */
export type OwnerMessage = { kind: 'ready' } | { kind: 'chain'; stats: ChainStats }

/** The child's reporter: `check()` sends what changed now; `stop()` ends the periodic checks. */
export interface OwnerReporter {
  check(): void
  stop(): void
}

/**
 * Child side: sends the owner's stats whenever they change (checked every `intervalMs`, and
 * whenever `check()` is called), so the parent never asks.
 */
export function reportOwner(owner: OwnerNode<EpochOutput>, send: (m: OwnerMessage) => void, intervalMs = 250): OwnerReporter {
  let lastStats = ''
  const check = (): void => {
    const stats: ChainStats = { ...owner.stats(), genesis: owner.genesis, session: owner.session }
    const statsKey = JSON.stringify(stats)
    if (statsKey !== lastStats) {
      lastStats = statsKey
      send({ kind: 'chain', stats })
    }
  }
  check()
  const timer = setInterval(check, intervalMs)
  return { check, stop: () => clearInterval(timer) }
}

/** Parent side: the latest of what the owner process reported. A message that does not fit the protocol is dropped. */
export class OwnerFeed {
  stats: ChainStats | null = null

  /** Applies one IPC message: true for a message of the protocol, false for one outside it (dropped). */
  accept(message: unknown): boolean {
    if (typeof message !== 'object' || message === null) return false
    const m = message as Partial<Record<string, unknown>>
    if (m.kind === 'ready') return true
    if (m.kind === 'chain' && isStats(m.stats)) {
      this.stats = m.stats
      return true
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

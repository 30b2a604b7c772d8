/**
 * subtensor's block arithmetic for epochs and commit-reveal, pure (the runtime's own rules, as in
 * `pallets/subtensor/src/subnets/weights.rs` and `coinbase/run_coinbase.rs`).
 */
import { blocksUntilNextEpoch, epochIndex } from '../local-chain.ts'

/** Whether the runtime runs the subnet's epoch while building `block` (`blocks_until_next_epoch == 0`). */
export function isEpochBlock(netuid: number, tempo: number, block: number): boolean {
  return tempo > 0 && blocksUntilNextEpoch(netuid, tempo, block) === 0
}

/** The epoch blocks in `(from, to]`, oldest first (so heads that skip blocks still see every epoch). */
export function epochBlocksBetween(netuid: number, tempo: number, from: number, to: number): number[] {
  if (tempo <= 0 || to <= from) return []
  const out: number[] = []
  let b = from + 1 + blocksUntilNextEpoch(netuid, tempo, from + 1)
  for (; b <= to; b += tempo + 1) out.push(b)
  return out
}

/**
 * The blocks where a reveal of a commit made in `commitBlock` is accepted: the whole epoch
 * `RevealPeriodEpochs` after the commit's (`is_reveal_block_range`); before it is `RevealTooEarly`,
 * after it the commit has expired.
 */
export function revealWindow(netuid: number, tempo: number, revealPeriodEpochs: number, commitBlock: number): { first: number; last: number } {
  const epoch = epochIndex(netuid, tempo, commitBlock) + revealPeriodEpochs
  // epochIndex(b) = floor((b + netuid + 1) / (tempo + 1)): epoch e spans these blocks.
  const first = epoch * (tempo + 1) - netuid - 1
  return { first: Math.max(0, first), last: first + tempo }
}

/** Where `block` stands against a reveal window: wait for it, reveal now, or too late. */
export function revealState(window: { first: number; last: number }, block: number): 'wait' | 'reveal' | 'expired' {
  return block < window.first ? 'wait' : block <= window.last ? 'reveal' : 'expired'
}

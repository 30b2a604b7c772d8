/**
 * The sentences the page shows for its registration and its reward history, as plain strings
 * (main.ts puts them in with textContent).
 */
import type { RegistrationProgress } from '../node/miner.ts'
import type { RewardRecord } from './reward-history.ts'

const U16_MAX = 65535

/** A count as people read it: 999, 312k, 1.2M. */
export function compactCount(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—'
  if (n < 1000) return String(Math.round(n))
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`
  return `${(n / 1_000_000).toFixed(1)}M`
}

/**
 * Where this page's registration stands: the proof of work while it is solved, then the uid.
 * Null when there is nothing to say (a validator registered at genesis says its uid).
 */
export function registrationLine(reg: RegistrationProgress | null, uid: number | null): string | null {
  if (uid !== null) return `Registered as uid ${uid}`
  if (reg === null) return null
  switch (reg.phase) {
    case 'waiting':
      return 'Registering: waiting for a block from the subnet owner to work on'
    case 'solving': {
      const rate = reg.hashesPerSecond === undefined || reg.hashesPerSecond === 0 ? '' : `, ${compactCount(reg.hashesPerSecond)}/s`
      return `Registering: proof of work at difficulty ${reg.difficulty ?? '?'} — ${compactCount(reg.tries ?? 0)} hashes${rate}`
    }
    case 'submitted':
      return `Registering: proof of work found for block ${reg.block ?? '?'}, submitted; waiting for the subnet owner to include it`
    case 'registered':
      return 'Registered; waiting for the metagraph to show the uid'
  }
}

/** One verified epoch of the reward history. */
export function rewardLine(r: RewardRecord): string {
  return `Epoch ${r.epoch} (block ${r.block}, uid ${r.uid}): incentive ${(r.incentive / U16_MAX).toFixed(4)}, dividends ${(r.dividends / U16_MAX).toFixed(4)} ✓ verified`
}

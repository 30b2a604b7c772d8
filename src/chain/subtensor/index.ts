/**
 * webtensor as a subtensor (Bittensor) client. This face loads nothing heavy: `connectSubtensor`
 * imports @polkadot/api on first use.
 */
import type { SubtensorClient, SubtensorOptions } from './types.ts'

export { SubtensorError } from './errors.ts'
export { epochBlocksBetween, isEpochBlock, revealState, revealWindow } from './rules.ts'
export type { PendingReveal, SubtensorClient, SubtensorEpochResult, SubtensorHyperparams, SubtensorOptions, TxIncluded } from './types.ts'

/**
 * Connects to a subtensor node and follows one subnet; rejects with a `SubtensorError`
 * (`unreachable` after the retries, `wrong_netuid`, `missing_call`, …).
 * @example const chain = await connectSubtensor({ url: 'ws://127.0.0.1:9944', netuid: 2, signer: hotkey })
 */
export async function connectSubtensor(options: SubtensorOptions): Promise<SubtensorClient> {
  const { connect } = await import('./client.ts')
  return connect(options)
}

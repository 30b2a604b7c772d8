/**
 * webtensor as a subtensor (Bittensor) client. This face loads nothing heavy: `connectSubtensor`
 * imports @polkadot/api on first use.
 */
import type { EpochReader } from './epoch-inputs.ts'
import type { SubtensorClient, SubtensorOptions } from './types.ts'

export { SubtensorError } from './errors.ts'
export { epochBlocksBetween, isEpochBlock, revealState, revealWindow } from './rules.ts'
export { blockEmissionForIssuance, compareEpoch, expectedMock, expectedYuma, normalizedStake, raonetCoinbase } from './epoch-check.ts'
export type { EpochDifference, EpochField, EpochFunction, EpochInputs, ExpectedEpoch, RaonetCoinbase, StoredEpoch, SubnetPool } from './epoch-check.ts'
export type { EpochReader } from './epoch-inputs.ts'
export { decodePeerCommitment, encodePeerCommitment, MAX_COMMITMENT_ADDRS, MAX_COMMITMENT_BYTES, PeerCommitmentEncodeError } from './peer-commitment.ts'
export type { DecodedPeerCommitment, PeerCommitment, PeerCommitmentError } from './peer-commitment.ts'
export type { ConnectionEvent, ConnectionState, PeerListing, PublishedPeer, PendingReveal, SubtensorClient, SubtensorEpochResult, SubtensorHyperparams, SubtensorOptions, TxIncluded } from './types.ts'

/**
 * Connects to a subtensor node and follows one subnet; rejects with a `SubtensorError`
 * (`unreachable` after the retries, `wrong_netuid`, `missing_call`, …).
 * @example const chain = await connectSubtensor({ url: 'ws://127.0.0.1:9944', netuid: 2, signer: hotkey })
 */
export async function connectSubtensor(options: SubtensorOptions): Promise<SubtensorClient> {
  const { connect } = await import('./client.ts')
  return connect(options)
}

/**
 * Opens a reader of epochs (what an epoch read at its parent block, what it stored) on a subtensor
 * node; rejects with `SubtensorError` `unreachable`. Loads @polkadot/api on first use.
 * @example const r = await openEpochReader('ws://127.0.0.1:9944'); const { inputs, stored } = await r.read(2, await r.epochBlock(2))
 */
export async function openEpochReader(url: string, timeoutMs?: number): Promise<EpochReader> {
  const m = await import('./epoch-inputs.ts')
  return m.openEpochReader(url, timeoutMs)
}

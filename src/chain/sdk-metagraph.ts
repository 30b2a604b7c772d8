/**
 * A metagraph under the Bittensor SDK's field names (`bittensor.Metagraph` / `NeuronInfoLite`), so
 * what webtensor shows reads like what `btcli subnets metagraph` shows. Pure.
 */
import type { EpochResult, Metagraph } from './types.ts'

const U16_MAX = 65535

/** One neuron row, as the SDK names it; u16 proportions as floats in [0, 1] like the SDK. */
export interface SdkNeuron {
  uid: number
  hotkey: string
  /** Rao of stake, decimal string. */
  stake: string
  rank: number | null
  trust: number | null
  consensus: number | null
  incentive: number
  dividends: number
  /** Rao per epoch, decimal string (null when the chain view has no emission). */
  emission: string | null
  validator_trust: number | null
  validator_permit: boolean
  last_update: number
  block_at_registration: number
  /** Set weights within the subnet's activity cutoff (null when the cutoff is unknown). */
  active: boolean | null
  /** Where the neuron's node is reached (its published libp2p multiaddr), null when it published none. */
  axon: string | null
}

/** The epoch vectors a chain may store beside incentive and dividends (subtensor does). */
export interface EpochExtras {
  consensus?: number[]
  trust?: number[]
  rank?: number[]
  validatorTrust?: number[]
  emission?: string[]
}

/**
 * The SDK-named rows of `metagraph` with the values of `epoch` (the latest stored epoch).
 * @example sdkMetagraph(client.metagraph()!, client.latestEpoch(), { activityCutoff: 5000 })
 */
export function sdkMetagraph(
  metagraph: Metagraph,
  epoch: (EpochResult & EpochExtras) | null,
  opts: { activityCutoff?: number | null; axons?: ReadonlyMap<string, string> } = {},
): SdkNeuron[] {
  const share = (v: number[] | undefined, uid: number): number | null => (v === undefined || v.length === 0 ? null : (v[uid] ?? 0) / U16_MAX)
  const cutoff = opts.activityCutoff ?? null
  return metagraph.neurons.map((n) => ({
    uid: n.uid,
    hotkey: n.hotkey,
    stake: n.stake,
    rank: share(epoch?.rank, n.uid),
    trust: share(epoch?.trust, n.uid),
    consensus: share(epoch?.consensus, n.uid),
    incentive: share(epoch?.incentive, n.uid) ?? 0,
    dividends: share(epoch?.dividends, n.uid) ?? 0,
    emission: epoch?.emission === undefined ? null : (epoch.emission[n.uid] ?? '0'),
    validator_trust: share(epoch?.validatorTrust, n.uid),
    validator_permit: n.validatorPermit,
    last_update: n.lastUpdate,
    block_at_registration: n.registeredAt,
    active: cutoff === null ? null : metagraph.block - n.lastUpdate <= cutoff,
    axon: opts.axons?.get(n.hotkey) ?? null,
  }))
}

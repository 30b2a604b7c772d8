/** One neuron as the metagraph shows it (the fields a miner or validator needs). */
export interface NeuronInfo {
  uid: number
  hotkey: string
  /** Rao, decimal string (u64). */
  stake: string
  registeredAt: number
  validatorPermit: boolean
  lastUpdate: number
}

export interface Metagraph {
  netuid: number
  block: number
  epoch: number
  tempo: number
  neurons: NeuronInfo[]
}

/** The rewards of one Yuma epoch, as u16 proportions per uid (what the chain stores). */
export interface EpochResult {
  netuid: number
  epoch: number
  block: number
  incentive: number[]
  dividends: number[]
  /** Digest of the Yuma output, so peers can compare their own recomputation in one line. */
  digest: string
  /** Digest of the Yuma input the result was computed from. */
  inputDigest?: string
}

/**
 * What a miner or validator needs from a chain, local or subtensor. The embedded default subnet
 * implements it over gossip; a subtensor adapter implements it over @polkadot/api.
 */
export interface ChainClient {
  metagraph(): Metagraph | null
  latestEpoch(): EpochResult | null
  onMetagraph(handler: (m: Metagraph) => void): () => void
  onEpoch(handler: (e: EpochResult) => void): () => void
  /** Sets this hotkey's weights (u16, uids sorted and unique). */
  setWeights(uids: number[], weights: number[]): Promise<void>
  uidOf(hotkey: string): number | undefined
}

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

/**
 * Which run of a chain a state belongs to: `genesis` ('0x' + 64 hex) names the chain, `session`
 * one run of its owner process (a restarted owner starts a new one, and may count blocks anew).
 */
export interface ChainSessionRef {
  genesis: string
  session: string
}

export interface Metagraph {
  netuid: number
  block: number
  epoch: number
  tempo: number
  neurons: NeuronInfo[]
  /** The chain session and its signed log's tip: `head` is the seq of the last log entry, `headHash` its hash. */
  chain: ChainSessionRef & { head: number; headHash: string }
  /** Hash of `block` ('0x' + 64 hex), what PoW registrations seal over. */
  blockHash: string
  /** PoW registration difficulty, u64 in decimal. */
  difficulty: string
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
  /** The chain session that ran this epoch. */
  chain: ChainSessionRef
  /** Seq of the chain log's entry that holds this epoch. */
  logSeq: number
}

/** Where a chain client stands: its chain session, latest block hash, registration difficulty and log head. */
export interface ChainInfo {
  genesis: string
  session: string
  blockHash: string
  difficulty: bigint
  head: number
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
  /** The chain session and PoW parameters of the latest metagraph; null before the first one. */
  chainInfo(): ChainInfo | null
}

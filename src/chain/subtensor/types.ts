import type { Signer } from '../../identity/identity.ts'
import type { ChainClient, EpochResult } from '../types.ts'

export interface SubtensorOptions {
  /** The node's WebSocket endpoint, e.g. `ws://127.0.0.1:9944` or `wss://entrypoint-finney.opentensor.ai`. */
  url: string
  netuid: number
  /** The hotkey: signs set_weights, commit_weights, reveal_weights. Without it the client only reads. */
  signer?: Signer
  /** Signs burned_register and add_stake (pays the burn and the stake); default the hotkey. */
  coldkey?: Signer
  /** Further attempts after a failed connection (default 3), `retryDelayMs` apart, growing (default 500). */
  retries?: number
  retryDelayMs?: number
  /** How long one connection attempt may take (default 10 s). */
  timeoutMs?: number
  /**
   * When the socket drops while following: reconnect up to `attempts` times (default 12), waiting
   * `initialDelayMs` (default 500) doubling up to `maxDelayMs` (default 30 s) before each; past
   * them the client stops with `SubtensorError` `connection_lost` (see `onConnection`).
   */
  reconnect?: { attempts?: number; initialDelayMs?: number; maxDelayMs?: number }
  /** How long a transaction may wait for its block (default 60 s). */
  txTimeoutMs?: number
  /** The version key sent with weights (u64); default the subnet's `WeightsVersionKey`. */
  versionKey?: bigint
  log?: (line: string) => void
}

/** A subnet's hyperparameters as the runtime stores them (null: this runtime has no such item). */
export interface SubtensorHyperparams {
  tempo: number
  weightsRateLimit: number
  commitReveal: boolean
  revealPeriodEpochs: number
  versionKey: bigint
  burn: bigint | null
  difficulty: bigint | null
  /** `SubnetworkN`: uids in use. */
  n: number | null
  immunityPeriod: number | null
  activityCutoff: number | null
  kappa: number | null
  rho: number | null
  minAllowedWeights: number | null
  maxWeightsLimit: number | null
  maxAllowedUids: number | null
  maxAllowedValidators: number | null
}

/** What the runtime stored after one of its epochs, per uid (u16 proportions; emission in rao). */
export interface SubtensorEpochResult extends EpochResult {
  consensus: number[]
  /** Empty on runtimes without `Trust` / `Rank`. */
  trust: number[]
  rank: number[]
  validatorTrust: number[]
  emission: string[]
}

/** A commit waiting for its reveal window (`setWeights` with commit-reveal on). */
export interface PendingReveal {
  uids: number[]
  weights: number[]
  salt: number[]
  versionKey: bigint
  commitBlock: number
  /** The blocks in which the runtime accepts the reveal. */
  window: { first: number; last: number }
  state: 'committed' | 'revealing'
}

/** `connected`; `reconnecting` after a drop; `failed` once the reconnect attempts are spent (the client is then dead). */
export type ConnectionState = 'connected' | 'reconnecting' | 'failed'

/** A change of the connection: `attempt` 0 is the drop itself; `error` says why an attempt failed. */
export interface ConnectionEvent {
  state: ConnectionState
  attempt: number
  error?: string
}

/** A hotkey's published way in (see peer-commitment.ts), as read from `CommitmentOf`. */
export interface PublishedPeer {
  peerId: string
  /** Multiaddrs ending with `/p2p/<peerId>`; not yet filtered by any dial policy. */
  addrs: string[]
  /** The block the commitment was stored in. */
  block: number
}

/** Every registered hotkey's published peer, and why the others were refused. */
export interface PeerListing {
  peers: Map<string, PublishedPeer>
  refused: { hotkey: string; error: string; detail: string }[]
}

/** Where a transaction landed. */
export interface TxIncluded {
  blockHash: string
  blockNumber: number
}

/**
 * A `ChainClient` on a subtensor node: reads the metagraph and the runtime's epochs from storage,
 * follows new heads, and submits weights (by commit and reveal when the subnet has it on).
 * Refusals of the runtime reject with `ChainError` (code = the runtime's error name).
 */
export interface SubtensorClient extends ChainClient {
  readonly netuid: number
  /** The underlying ApiPromise (typed loosely so this file does not load @polkadot/api). */
  api(): unknown
  latestEpoch(): SubtensorEpochResult | null
  onEpoch(handler: (e: SubtensorEpochResult) => void): () => void
  /**
   * Sets weights: `set_weights` when the subnet's `CommitRevealWeightsEnabled` is off; otherwise
   * commits their hash now and reveals them by itself once the reveal window opens.
   */
  setWeights(uids: number[], weights: number[]): Promise<void>
  /** `set_weights` now, whatever the subnet's commit-reveal setting. */
  setWeightsNow(uids: number[], weights: number[]): Promise<TxIncluded>
  /** `commit_weights` of webtensor's commit hash (src/chain/commit-hash.ts). */
  commitWeights(uids: number[], weights: number[], salt: number[], versionKey?: bigint): Promise<TxIncluded>
  revealWeights(uids: number[], weights: number[], salt: number[], versionKey?: bigint): Promise<TxIncluded>
  pendingReveals(): PendingReveal[]
  /** `burned_register(netuid, hotkey)` signed by the coldkey; resolves with the uid given. */
  burnedRegister(opts?: { hotkey?: string; coldkey?: Signer }): Promise<TxIncluded & { uid: number }>
  /** `add_stake(hotkey, netuid, amount)` signed by the coldkey (rao). */
  addStake(amount: bigint, opts?: { hotkey?: string; coldkey?: Signer }): Promise<TxIncluded>
  /**
   * Publishes how to reach this hotkey's node (its libp2p peer id and up to 4 multiaddrs, packed
   * into one 128-byte `Raw` field: src/chain/subtensor/peer-commitment.ts) with the Commitments
   * pallet's `set_commitment`, signed by the hotkey (which must hold a uid on the subnet). Sends
   * nothing when the chain holds these very bytes (`changed: false`; the pallet rate-limits
   * commitments). `missing_call` on runtimes without the pallet, `bad_options` for what cannot be
   * encoded; a refusal of the pallet is a `ChainError` (e.g. its rate limit).
   */
  publishPeer(peerId: string, addrs: string[]): Promise<{ changed: boolean; blockNumber: number; blockHash?: string; bytes: number }>
  /** The published peers of the subnet's registered hotkeys (`CommitmentOf`), decoded as hostile input. */
  peers(): Promise<PeerListing>
  /** Whether the socket to the node is open now. */
  connected(): boolean
  /** Follows drops, reconnect attempts and the final failure; returns an unsubscribe function. */
  onConnection(handler: (e: ConnectionEvent) => void): () => void
  hyperparams(): Promise<SubtensorHyperparams>
  /** Reads the newest head now (heads also arrive by subscription). */
  refresh(): Promise<void>
  close(): Promise<void>
}

import { u8aToHex } from '@polkadot/util'
import { listeners } from './listeners.ts'
import { WebtensorError } from '../errors.ts'
import type { Envelope, Mesh } from '../p2p/index.ts'
import { commitHash, randomSalt } from './commit-hash.ts'
import { epochIndex } from './local-chain.ts'
import type { ChainClient, ChainInfo, ChainSessionRef, EpochResult, Metagraph } from './types.ts'

export class GossipChainError extends WebtensorError {
  override name = 'GossipChainError'
}

/** Commit-reveal as subtensor runs it: weights are committed as a hash and revealed `revealPeriodEpochs` epochs later. */
export interface CommitRevealOptions {
  revealPeriodEpochs: number
  /** The netuid storage index the commit hash covers (the netuid for a subnet's main mechanism). */
  netuid: number
  tempo: number
  /** This validator's sr25519 public key (the AccountId32 in the commit hash). */
  hotkeyPublicKey: Uint8Array
}

export interface GossipChainOptions {
  mesh: Mesh
  netuid: number
  ownerHotkey: string
  /** Sent with every weights message and reveal (u64; default 0). */
  versionKey?: bigint
  /** When given, `setWeights` commits a hash now and reveals the weights in the reveal epoch. */
  commitReveal?: CommitRevealOptions
  log?: (line: string) => void
}


/** Commits still waiting for their reveal epoch, per client; subtensor keeps at most 10 per hotkey. */
const MAX_PENDING_COMMITS = 10
/** Sessions remembered as superseded, so their late messages are not taken for a new session. */
const MAX_RETIRED_SESSIONS = 64
const U64_MAX = (1n << 64n) - 1n

interface PendingCommit {
  hash: string
  uids: number[]
  weights: number[]
  salt: number[]
  versionKey: bigint
  commitBlock: number
  commitEpoch: number
  revealing: boolean
}

const sessionKey = (c: ChainSessionRef): string => `${c.genesis}/${c.session}`

/**
 * The embedded default subnet's chain, seen from a miner or validator: the owner node publishes
 * the metagraph and each epoch's result over gossip, and weights (or commits and reveals) go back
 * the same way. Only messages signed by the subnet owner's hotkey (from the manifest) count as
 * chain state. A restarted owner starts a new chain session and may count blocks from lower
 * numbers: the client follows the new session and ignores late messages of superseded ones.
 */
export function createGossipChainClient(options: GossipChainOptions): ChainClient {
  const { mesh, netuid, ownerHotkey, commitReveal, log = () => {} } = options
  const versionKey = options.versionKey ?? 0n
  if (versionKey < 0n || versionKey > U64_MAX) throw new GossipChainError(`version key ${versionKey} is not a u64`, { code: 'bad_options' })
  if (commitReveal !== undefined && (!Number.isInteger(commitReveal.revealPeriodEpochs) || commitReveal.revealPeriodEpochs < 0 || !Number.isInteger(commitReveal.tempo) || commitReveal.tempo < 1)) {
    throw new GossipChainError('commitReveal needs a whole revealPeriodEpochs ≥ 0 and tempo ≥ 1', { code: 'bad_options' })
  }
  let metagraph: Metagraph | null = null
  let epoch: EpochResult | null = null
  let uids = new Map<string, number>()
  let pending: PendingCommit[] = []
  /** The session of the newest chain state seen; `retired` holds the ones it replaced. */
  let current: string | null = null
  const retired = new Set<string>()
  const metagraphHandlers = listeners<Metagraph>((err) => log(`a metagraph handler failed: ${String(err)}`))
  const epochHandlers = listeners<EpochResult>((err) => log(`an epoch handler failed: ${String(err)}`))

  /** Whether a message of `chain` counts: false for superseded sessions; a new one becomes current. */
  const follow = (chain: ChainSessionRef, what: string): boolean => {
    const key = sessionKey(chain)
    if (key === current) return true
    if (retired.has(key)) return false
    const sameChain = current !== null && current.startsWith(`${chain.genesis}/`)
    if (current !== null) {
      retired.add(current)
      if (retired.size > MAX_RETIRED_SESSIONS) retired.delete(retired.values().next().value as string)
      log(`chain: the owner started a new session (${what}: genesis ${chain.genesis}, session ${chain.session}); following it`)
      // A restarted owner replays its log, so commits made on the same chain are still there to reveal.
      if (!sameChain && pending.length > 0) log(`chain: dropping ${pending.length} unrevealed weight commit(s) made on the previous chain`)
    }
    current = key
    // Chain state of another session says nothing about this one.
    epoch = null
    if (!sameChain) pending = []
    return true
  }

  mesh.subscribe('metagraph', (msg: Envelope<'metagraph'>) => {
    if (msg.hotkey !== ownerHotkey || msg.netuid !== netuid) return
    if (!follow(msg.payload.chain, `metagraph at block ${msg.payload.block}`)) return
    if (metagraph !== null && sessionKey(metagraph.chain) === current && msg.payload.block < metagraph.block) return
    metagraph = { netuid, ...msg.payload }
    uids = new Map(metagraph.neurons.map((n) => [n.hotkey, n.uid]))
    metagraphHandlers.emit(metagraph)
    revealDue(metagraph.block)
  })
  mesh.subscribe('epoch', (msg: Envelope<'epoch'>) => {
    if (msg.hotkey !== ownerHotkey || msg.netuid !== netuid) return
    if (!follow(msg.payload.chain, `epoch ${msg.payload.epoch}`)) return
    if (epoch !== null && msg.payload.epoch <= epoch.epoch) return
    epoch = { netuid, ...msg.payload }
    epochHandlers.emit(epoch)
  })

  /** Publishes the reveals whose epoch `block` is in; drops commits whose window has passed. */
  const revealDue = (block: number): void => {
    if (commitReveal === undefined || pending.length === 0) return
    const now = epochIndex(commitReveal.netuid, commitReveal.tempo, block)
    for (const c of [...pending]) {
      const revealEpoch = c.commitEpoch + commitReveal.revealPeriodEpochs
      if (now > revealEpoch) {
        pending = pending.filter((p) => p !== c)
        log(`chain: commit ${c.hash} (block ${c.commitBlock}) expired unrevealed at block ${block}`)
      } else if (now === revealEpoch && !c.revealing) {
        c.revealing = true
        mesh
          .publish('reveal', { uids: c.uids, weights: c.weights, salt: c.salt, versionKey: c.versionKey.toString() })
          .then(() => {
            pending = pending.filter((p) => p !== c)
            log(`chain: revealed commit ${c.hash} at block ${block}`)
          })
          .catch((err: unknown) => {
            c.revealing = false // retried on the next block while the window lasts
            log(`chain: reveal of ${c.hash} failed: ${String(err)}`)
          })
      }
    }
  }

  const commit = async (uidList: number[], weights: number[], cr: CommitRevealOptions): Promise<void> => {
    if (metagraph === null) throw new GossipChainError('no metagraph yet: the commit block is unknown', { code: 'no_metagraph' })
    const salt = randomSalt()
    const hash = u8aToHex(commitHash({ hotkeyPublicKey: cr.hotkeyPublicKey, netuid: cr.netuid, uids: uidList, values: weights, salt, versionKey }))
    const block = metagraph.block
    await mesh.publish('commit', { hash })
    pending.push({ hash, uids: [...uidList], weights: [...weights], salt, versionKey, commitBlock: block, commitEpoch: epochIndex(cr.netuid, cr.tempo, block), revealing: false })
    if (pending.length > MAX_PENDING_COMMITS) pending.shift()
  }

  return {
    metagraph: () => metagraph,
    latestEpoch: () => epoch,
    uidOf: (hotkey) => uids.get(hotkey),
    chainInfo(): ChainInfo | null {
      if (metagraph === null) return null
      const { genesis, session, head } = metagraph.chain
      return { genesis, session, head, blockHash: metagraph.blockHash, difficulty: BigInt(metagraph.difficulty) }
    },
    onMetagraph: (handler) => metagraphHandlers.on(handler),
    onEpoch: (handler) => epochHandlers.on(handler),
    async setWeights(uidList, weights) {
      if (commitReveal !== undefined) return commit(uidList, weights, commitReveal)
      await mesh.publish('weights', { epoch: metagraph?.epoch ?? 0, uids: uidList, weights, versionKey: versionKey.toString() })
    },
  }
}

import { blake2b } from '@noble/hashes/blake2.js'
import { u8aToHex } from '@polkadot/util'
import { canonicalEncode, type Envelope, type Mesh } from '../p2p/index.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'
import { ChainError, type LocalChain, type LocalEpochOutput, type LocalEpochRecord } from './local-chain.ts'
import type { EpochResult } from './types.ts'

export interface OwnerNodeOptions<O extends LocalEpochOutput> {
  manifest: SubnetManifest
  mesh: Mesh
  chain: LocalChain<O>
  /** Digest of a Yuma output / input, so peers can compare their recomputation in one line. */
  digest: (value: unknown) => string
  log?: (line: string) => void
  /** How many past epochs to keep for `/api/epochs` and recomputation. */
  keepEpochs?: number
}

export interface OwnerNode<O extends LocalEpochOutput> {
  start(): Promise<void>
  stop(): Promise<void>
  readonly epochs: readonly LocalEpochRecord<O>[]
  latestEpoch(): EpochResult | null
  stats(): { block: number; epoch: number; registrations: number; weightsAccepted: number; weightsRefused: Record<string, number> }
}

/**
 * The embedded default subnet's owner and registrar: it registers miners that announce
 * themselves, accepts weights from permitted validators, ticks the block clock, runs Yuma every
 * tempo and publishes the metagraph and each epoch's result, all signed by the owner's hotkey.
 */
export function createOwnerNode<O extends LocalEpochOutput>(options: OwnerNodeOptions<O>): OwnerNode<O> {
  const { manifest, mesh, chain, digest, log = () => {} } = options
  const keep = options.keepEpochs ?? 64
  const epochs: LocalEpochRecord<O>[] = []
  let latest: EpochResult | null = null
  let timer: ReturnType<typeof setInterval> | undefined
  const unsubscribe: (() => void)[] = []
  let registrations = 0
  let weightsAccepted = 0
  const weightsRefused: Record<string, number> = {}

  // lead: replaced by the log (genesis from the log's first entry, head/headHash its tip, blockHash
  // and difficulty from the runtime). Until then: the manifest names the chain, each start is a session.
  const genesis = u8aToHex(blake2b(canonicalEncode(manifest), { dkLen: 32 }))
  let session = newSession()
  const ZERO_HASH = `0x${'0'.repeat(64)}`

  const failed = (kind: string) => (err: unknown) => log(`owner: publish ${kind} failed: ${String(err)}`)
  const publishMetagraph = (): void => {
    const { netuid: _netuid, ...metagraph } = chain.metagraph()
    // lead: replaced by the log
    const payload = { ...metagraph, chain: { genesis, session, head: 0, headHash: ZERO_HASH }, blockHash: ZERO_HASH, difficulty: '0' }
    mesh.publish('metagraph', payload).catch(failed('metagraph'))
  }

  const onAnnounce = (msg: Envelope<'announce'>): void => {
    if (msg.payload.role !== 'miner' && msg.payload.role !== 'validator') return
    try {
      const { uid, isNew } = chain.register(msg.hotkey)
      if (isNew) {
        registrations++
        log(`owner: registered ${msg.payload.role} ${msg.hotkey} as uid ${uid}`)
        publishMetagraph()
      }
    } catch (err) {
      if (err instanceof ChainError) log(`owner: registration of ${msg.hotkey} refused: ${err.message}`)
      else throw err
    }
  }

  const onWeights = (msg: Envelope<'weights'>): void => {
    try {
      chain.setWeights(msg.hotkey, msg.payload.uids, msg.payload.weights)
      weightsAccepted++
    } catch (err) {
      if (!(err instanceof ChainError)) throw err
      weightsRefused[err.code] = (weightsRefused[err.code] ?? 0) + 1
      log(`owner: weights from ${msg.hotkey} refused: ${err.message}`)
    }
  }

  const tick = (): void => {
    const record = chain.advance()
    if (record !== null) {
      epochs.push(record)
      if (epochs.length > keep) epochs.shift()
      latest = {
        netuid: manifest.netuid,
        epoch: record.epoch,
        block: record.block,
        incentive: record.output.u16.incentive,
        dividends: record.output.u16.dividends,
        digest: digest(record.output),
        inputDigest: digest(record.input),
        chain: { genesis, session }, // lead: replaced by the log
        logSeq: 0, // lead: replaced by the log
      }
      const { netuid: _netuid, ...payload } = latest
      mesh.publish('epoch', payload).catch(failed('epoch'))
      log(`owner: epoch ${record.epoch} at block ${record.block}: incentive ${JSON.stringify(latest.incentive)} dividends ${JSON.stringify(latest.dividends)}`)
    }
    publishMetagraph()
  }

  return {
    get epochs() {
      return epochs
    },
    latestEpoch: () => latest,
    stats: () => ({ block: chain.block, epoch: chain.epoch, registrations, weightsAccepted, weightsRefused: { ...weightsRefused } }),
    async start() {
      session = newSession()
      unsubscribe.push(mesh.subscribe('announce', onAnnounce), mesh.subscribe('weights', onWeights))
      timer = setInterval(tick, manifest.chain.blockTimeMs)
    },
    async stop() {
      clearInterval(timer)
      for (const u of unsubscribe.splice(0)) u()
    },
  }
}

/** A fresh random session id (16 bytes, hex): a restarted owner is told apart from a stale one. */
function newSession(): string {
  return u8aToHex(crypto.getRandomValues(new Uint8Array(16))).slice(2)
}

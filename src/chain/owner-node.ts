import type { Signer } from '../identity/identity.ts'
import type { Envelope, Mesh } from '../p2p/index.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'
import { LocalChain, type EpochFunction, type LocalEpochOutput, type LocalEpochRecord } from './local-chain.ts'
import { applyCall, CALL_KINDS, digestOf, entryHash, fromHex, LogError, LogReplay, LogWriter, publicManifest, toHex, type CallKind, type LogEntry } from './log.ts'
import type { EpochResult } from './types.ts'

/** Where the owner keeps its log: appended durably before an entry counts; read back on start. */
export interface LogStore {
  load(): { entries: LogEntry[]; block: number }
  append(entry: LogEntry): void
  saveBlock(block: number): void
  close?(): void
}

/** A log store in memory (tests; a subnet that may forget everything on exit). */
export function memoryLogStore(): LogStore & { entries: LogEntry[]; block: number } {
  const store = {
    entries: [] as LogEntry[],
    block: 0,
    load: () => ({ entries: [...store.entries], block: store.block }),
    append: (e: LogEntry) => void store.entries.push(e),
    saveBlock: (b: number) => void (store.block = b),
  }
  return store
}

export interface OwnerNodeOptions<O extends LocalEpochOutput> {
  manifest: SubnetManifest
  mesh: Mesh
  /** The subnet owner's hotkey: it signs every log entry and all chain state it gossips. */
  signer: Signer
  runEpoch: EpochFunction<O>
  store: LogStore
  log?: (line: string) => void
  /** How many past epochs to keep in memory (`epochs`); the log keeps them all. */
  keepEpochs?: number
  /** Random bytes for a new chain's genesis (tests pass fixed ones). */
  randomBytes?: (n: number) => Uint8Array
  /** Drives blocks; default a timer every `manifest.chain.blockTimeMs`. Tests tick by hand. */
  clock?: 'timer' | 'manual'
  /**
   * A dishonest owner (the simulator's `owner-forges-epoch`): what to log, sign and publish instead
   * of an epoch's real result (null: the real one). The chain itself carries on from the real one.
   */
  forge?: (record: LocalEpochRecord<O>) => O | null
}

export interface OwnerNode<O extends LocalEpochOutput> {
  start(): Promise<void>
  stop(): Promise<void>
  /** Advances one block (what the timer does). */
  tick(): void
  readonly chain: LocalChain<O>
  readonly epochs: readonly LocalEpochRecord<O>[]
  /** This chain's id (its genesis entry's hash) and this run's session id. */
  readonly genesis: string
  readonly session: string
  latestEpoch(): EpochResult | null
  /** Owner-signed stake change (rao, negative to unstake), logged like every other change. */
  addStake(hotkey: string, amount: bigint): void
  stats(): { block: number; epoch: number; registrations: number; weightsAccepted: number; weightsRefused: Record<string, number>; logHead: number; difficulty: string }
}

export class OwnerLogError extends LogError {
  override name = 'OwnerLogError'
}

/**
 * The embedded default subnet's owner and block producer: it takes signed chain calls from the
 * mesh (PoW registrations, weights, commits, reveals), applies them to the local chain, logs
 * each with the author's signature and its result, ticks the block clock, runs Yuma every tempo
 * and gossips the metagraph and each epoch's result, all signed by the owner's hotkey. On start
 * it replays its own log (refusing one that does not verify) and resumes at the saved block.
 */
export function createOwnerNode<O extends LocalEpochOutput>(options: OwnerNodeOptions<O>): OwnerNode<O> {
  const { manifest, mesh, signer, runEpoch, store, log = () => {} } = options
  if (signer.address !== manifest.owner.hotkey) throw new OwnerLogError(`the signer ${signer.address} is not the manifest's owner ${manifest.owner.hotkey}`, { code: 'wrong_owner' })
  const keep = options.keepEpochs ?? 64
  const randomBytes = options.randomBytes ?? ((n: number) => crypto.getRandomValues(new Uint8Array(n)))
  const session = toHex(randomBytes(8)).slice(2)

  // Rebuild the chain from the log: the same code a verifier runs.
  const loaded = store.load()
  const replay = new LogReplay<O>(runEpoch, { ownerHotkey: manifest.owner.hotkey, keepEpochs: keep })
  for (const entry of loaded.entries) {
    const r = replay.push(entry)
    if (!r.ok) throw new OwnerLogError(`the chain log does not verify at entry ${r.divergence.seq}: ${r.divergence.detail} (move the log away to start a new chain)`, { code: 'log_diverges' })
  }
  const writer = new LogWriter(signer, (e) => store.append(e), replay.head)
  let genesisEntry = loaded.entries[0]
  if (genesisEntry === undefined) {
    genesisEntry = writer.append(0, { type: 'genesis', manifest: publicManifest(manifest), nonce: toHex(randomBytes(32)) })
    const r = replay.push(genesisEntry)
    if (!r.ok) throw new OwnerLogError(`the manifest does not make a valid genesis: ${r.divergence.detail}`, { code: 'bad_genesis' })
  } else if (JSON.stringify(replay.manifest) !== JSON.stringify(publicManifest(manifest))) {
    log('owner: the manifest differs from the one in the log genesis; the log keeps its own')
  }
  const chain = replay.chain!
  const genesis = toHex(entryHash(genesisEntry))
  const epochs: LocalEpochRecord<O>[] = replay.epochs.map(({ epoch, block, input, output }) => ({ epoch, block, input, output }))
  let latest: EpochResult | null = null
  let timer: ReturnType<typeof setInterval> | undefined
  const unsubscribe: (() => void)[] = []
  let registrations = 0
  let weightsAccepted = 0
  const weightsRefused: Record<string, number> = {}
  const failed = (kind: string) => (err: unknown) => log(`owner: publish ${kind} failed: ${String(err)}`)

  const publishMetagraph = (): void => {
    const { netuid: _netuid, ...metagraph } = chain.metagraph()
    const head = writer.head
    mesh
      .publish('metagraph', {
        ...metagraph,
        chain: { genesis, session, head: head.seq, headHash: head.hash },
        blockHash: toHex(chain.blockHash() ?? new Uint8Array(32)),
        difficulty: chain.difficulty.toString(),
      })
      .catch(failed('metagraph'))
  }

  const recordEpoch = (record: LocalEpochRecord<O>): void => {
    const inputDigest = digestOf(record.input)
    const shown = options.forge?.(record) ?? record.output
    const digest = digestOf(shown)
    const entry = writer.append(record.block, { type: 'epoch', epoch: record.epoch, inputDigest, digest })
    epochs.push(record)
    if (epochs.length > keep) epochs.shift()
    latest = {
      netuid: manifest.netuid,
      epoch: record.epoch,
      block: record.block,
      incentive: shown.u16.incentive,
      dividends: shown.u16.dividends,
      digest,
      inputDigest,
      chain: { genesis, session },
      logSeq: entry.seq,
    }
    const { netuid: _netuid, ...payload } = latest
    mesh.publish('epoch', payload).catch(failed('epoch'))
    log(`owner: epoch ${record.epoch} at block ${record.block}: incentive ${JSON.stringify(latest.incentive)} dividends ${JSON.stringify(latest.dividends)}`)
  }

  // A restart resumes at the block the owner had reached (epochs due on the way run and are logged).
  for (const r of chain.advanceTo(Math.max(loaded.block, writer.head.block), fromHex(writer.head.hash))) recordEpoch(r)

  const onCall = (kind: CallKind) => (msg: Envelope, signed: { body: Uint8Array; signature: Uint8Array }): void => {
    // Unregistered hotkeys' weights cost nothing to send: not logged. A registration is logged
    // only when accepted (a refused one proves no work was done).
    if (kind !== 'register' && chain.uidOf(msg.hotkey) === undefined) return
    const result = applyCall(chain, msg)
    if (!result.ok) {
      weightsRefused[result.error] = (weightsRefused[result.error] ?? 0) + 1
      log(`owner: ${kind} from ${msg.hotkey} refused: ${result.error}`)
      if (kind === 'register') return
    } else if (kind === 'register') {
      registrations++
      log(`owner: registered ${msg.hotkey} as uid ${result.uid}${result.replaced === undefined ? '' : ` (pruned ${result.replaced})`}`)
    } else if (kind === 'weights' || kind === 'reveal') weightsAccepted++
    writer.append(chain.block, { type: 'call', kind, call: { body: toHex(signed.body), sig: toHex(signed.signature) }, result })
    if (kind === 'register' && result.ok) publishMetagraph()
  }

  const tick = (): void => {
    const record = chain.advance(fromHex(writer.head.hash))
    if (record !== null) recordEpoch(record)
    store.saveBlock(chain.block)
    publishMetagraph()
  }

  return {
    chain,
    get epochs() {
      return epochs
    },
    genesis,
    session,
    tick,
    latestEpoch: () => latest,
    addStake(hotkey, amount) {
      chain.addStake(hotkey, amount)
      writer.append(chain.block, { type: 'stake', hotkey, amount: amount.toString() })
      publishMetagraph()
    },
    stats: () => ({
      block: chain.block,
      epoch: chain.epoch,
      registrations,
      weightsAccepted,
      weightsRefused: { ...weightsRefused },
      logHead: writer.head.seq,
      difficulty: chain.difficulty.toString(),
    }),
    async start() {
      for (const kind of CALL_KINDS) unsubscribe.push(mesh.subscribe(kind, onCall(kind) as never))
      if (options.clock !== 'manual') timer = setInterval(tick, manifest.chain.blockTimeMs)
      publishMetagraph()
    },
    async stop() {
      clearInterval(timer)
      for (const u of unsubscribe.splice(0)) u()
      store.close?.()
    },
  }
}

/**
 * The subtensor chain client over @polkadot/api. Loaded only through `connectSubtensor` (a
 * dynamic import), so pages and the local default never pay for @polkadot/api.
 */
import { ApiPromise, WsProvider } from '@polkadot/api'
import type { Codec } from '@polkadot/types/types'
import { blake2b } from '@noble/hashes/blake2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { hexToU8a, u8aToHex } from '@polkadot/util'
import type { Signer } from '../../identity/identity.ts'
import { commitHash, randomSalt } from '../commit-hash.ts'
import { epochIndex } from '../local-chain.ts'
import { listeners } from '../listeners.ts'
import type { ChainInfo, EpochResult, Metagraph, NeuronInfo } from '../types.ts'
import { SubtensorError } from './errors.ts'
import { decodePeerCommitment, encodePeerCommitment, MAX_COMMITMENT_BYTES } from './peer-commitment.ts'
import { epochBlocksBetween, revealState, revealWindow } from './rules.ts'
import { accountNonce, submitAndWait, type Included } from './submit.ts'
import type { ConnectionEvent, ConnectionState, PeerListing, PendingReveal, SubtensorClient, SubtensorEpochResult, SubtensorHyperparams, SubtensorOptions } from './types.ts'

const PALLET = 'subtensorModule'
/** The calls webtensor makes; connecting fails with `missing_call` when the runtime lacks one. */
const REQUIRED_CALLS = ['setWeights', 'commitWeights', 'revealWeights', 'burnedRegister'] as const
const REQUIRED_STORAGE = ['networksAdded', 'tempo', 'keys', 'totalHotkeyAlpha', 'blockAtRegistration', 'validatorPermit', 'lastUpdate', 'incentive', 'dividends', 'weightsSetRateLimit', 'commitRevealWeightsEnabled', 'weightsVersionKey'] as const

type Query = (...args: unknown[]) => Promise<Codec>
type Entries = { entries(...args: unknown[]): Promise<[{ args: Codec[] }, Codec][]> }
type QueryModule = Record<string, Query & Entries & { multi(args: unknown[]): Promise<Codec[]> }>

const num = (c: Codec): number => Number(c.toString())
const big = (c: Codec): bigint => BigInt(c.toString())
const bool = (c: Codec): boolean => c.toString() === 'true'
const items = (c: Codec): Codec[] => [...(c as unknown as Iterable<Codec>)]

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * One attempt to open `provider`'s socket: resolves once it is open, rejects on an error, a close
 * or after `timeoutMs` (then the half-open socket is closed and its close awaited).
 */
async function openOnce(provider: WsProvider, timeoutMs: number): Promise<void> {
  const offs: (() => void)[] = []
  let closedSeen = false
  offs.push(provider.on('disconnected', () => void (closedSeen = true)))
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      offs.push(() => clearTimeout(timer))
      offs.push(provider.on('connected', () => resolve()))
      offs.push(provider.on('error', (err: unknown) => reject(err instanceof Error ? err : new Error(describe(err)))))
      offs.push(provider.on('disconnected', () => reject(new Error('the socket closed'))))
      provider.connect().catch(reject)
    })
  } catch (err) {
    if (!closedSeen) {
      // A socket still connecting: close it and wait for its close, so the next connect() may start.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000)
        const off = provider.on('disconnected', () => {
          clearTimeout(t)
          off()
          resolve()
        })
        provider.disconnect().catch(() => resolve())
      })
    }
    throw err
  } finally {
    for (const off of offs) off()
  }
}

/** Opens a WebSocket to `url`, `retries` more times after a failure; throws `unreachable`. */
async function connectProvider(url: string, retries: number, retryDelayMs: number, timeoutMs: number, log: (l: string) => void): Promise<WsProvider> {
  let last: unknown
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(retryDelayMs * attempt)
    // autoConnect off: a failed attempt must not keep redialling in the background; the client
    // reconnects by itself, with back-off, once it runs (see `startClient`).
    const provider = new WsProvider(url, false, {}, timeoutMs)
    try {
      await openOnce(provider, timeoutMs)
      return provider
    } catch (err) {
      last = err
      log(`subtensor: connecting to ${url} failed (attempt ${attempt + 1} of ${retries + 1}): ${describe(err)}`)
      await provider.disconnect().catch(() => {})
    }
  }
  throw new SubtensorError(`no subtensor node answered at ${url} after ${retries + 1} attempt(s): ${describe(last)}`, { code: 'unreachable', cause: last })
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message
  const e = err as { message?: unknown; type?: unknown } | null
  if (e !== null && typeof e === 'object' && typeof e.message === 'string') return e.message
  if (e !== null && typeof e === 'object' && typeof e.type === 'string') return `WebSocket ${e.type}`
  return String(err)
}

/** The most `CommitmentOf` entries of a subnet read at once (a subnet has at most a few hundred uids). */
const MAX_COMMITMENT_ENTRIES = 4096

/**
 * The first field of an `Option<Registration { deposit, block, info: { fields: Vec<Data> } }>`
 * when it is `Data::RawN` (bytes), else null.
 */
function commitmentField(value: Codec): { bytes: Uint8Array; block: number } | null {
  const json = value.toJSON() as { block?: unknown; info?: { fields?: unknown } } | null
  const fields = json?.info?.fields
  if (!Array.isArray(fields) || fields.length === 0) return null
  const first = fields[0] as Record<string, unknown> | null
  if (first === null || typeof first !== 'object') return null
  const raw = Object.entries(first).find(([k]) => /^raw\d{1,3}$/i.test(k))?.[1]
  if (typeof raw !== 'string' || !/^0x([0-9a-f]{2})*$/i.test(raw) || raw.length > 2 + 2 * MAX_COMMITMENT_BYTES) return null
  return { bytes: hexToU8a(raw), block: typeof json?.block === 'number' ? json.block : 0 }
}

/**
 * Connects to the subtensor node at `options.url` and follows subnet `options.netuid`. See
 * `SubtensorOptions` and `SubtensorClient` (./types.ts).
 */
export async function connect(options: SubtensorOptions): Promise<SubtensorClient> {
  const { url, netuid, signer, log = () => {} } = options
  if (!Number.isInteger(netuid) || netuid < 0 || netuid > 0xffff) throw new SubtensorError(`netuid ${netuid} is not a u16`, { code: 'bad_options' })
  const coldkey = options.coldkey ?? signer
  const provider = await connectProvider(url, options.retries ?? 3, options.retryDelayMs ?? 500, options.timeoutMs ?? 10_000, log)
  let api: ApiPromise
  try {
    api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true })
  } catch (err) {
    await provider.disconnect().catch(() => {})
    throw new SubtensorError(`${url} answered but is not a usable Substrate node: ${describe(err)}`, { code: 'unreachable', cause: err })
  }
  try {
    return await startClient(api, provider, options, signer, coldkey, log)
  } catch (err) {
    await api.disconnect().catch(() => {})
    throw err
  }
}

async function startClient(api: ApiPromise, provider: WsProvider, options: SubtensorOptions, signer: Signer | undefined, coldkey: Signer | undefined, log: (l: string) => void): Promise<SubtensorClient> {
  const { netuid } = options
  const txModule = (api.tx as unknown as Record<string, Record<string, unknown> | undefined>)[PALLET]
  const queryModule = (api.query as unknown as Record<string, QueryModule | undefined>)[PALLET]
  if (txModule === undefined || queryModule === undefined) throw new SubtensorError(`the runtime at ${options.url} has no SubtensorModule pallet`, { code: 'missing_call' })
  for (const call of REQUIRED_CALLS) if (typeof txModule[call] !== 'function') throw new SubtensorError(`the runtime's SubtensorModule lacks the call ${call}`, { code: 'missing_call' })
  for (const item of REQUIRED_STORAGE) if (queryModule[item] === undefined) throw new SubtensorError(`the runtime's SubtensorModule lacks the storage item ${item}`, { code: 'missing_storage' })
  if (!bool(await queryModule.networksAdded!(netuid))) throw new SubtensorError(`subnet ${netuid} does not exist on ${options.url}`, { code: 'wrong_netuid' })

  const genesis = api.genesisHash.toHex()
  const session = `${api.runtimeVersion.specName.toString()}/${api.runtimeVersion.specVersion.toString()}`
  const tx = (name: string, ...args: unknown[]) => {
    const f = txModule[name]
    if (typeof f !== 'function') throw new SubtensorError(`the runtime's SubtensorModule lacks the call ${name}`, { code: 'missing_call' })
    return (f as (...a: unknown[]) => Parameters<typeof submitAndWait>[1])(...args)
  }
  const q = (name: string): QueryModule[string] => {
    const f = queryModule[name]
    if (f === undefined) throw new SubtensorError(`the runtime's SubtensorModule lacks the storage item ${name}`, { code: 'missing_storage' })
    return f
  }

  // One transaction at a time per client, each with the nonce the chain stores.
  let queue: Promise<unknown> = Promise.resolve()
  const send = (who: Signer | undefined, role: string, what: string, build: () => Parameters<typeof submitAndWait>[1]): Promise<Included> => {
    if (who === undefined) return Promise.reject(new SubtensorError(`${what} needs a ${role} to sign it`, { code: 'no_signer' }))
    const run = (): Promise<Included> =>
      guarded(what, async (signal) => {
        const nonce = await accountNonce(api, who.address)
        return submitAndWait(api, build(), who, { nonce, what, signal, ...(options.txTimeoutMs === undefined ? {} : { timeoutMs: options.txTimeoutMs }) })
      })
    const p = queue.then(run, run)
    queue = p.catch(() => {})
    return p
  }

  // The connection: dropped sockets are reopened with capped exponential back-off; what was in
  // flight when one dropped fails at once with `disconnected`; past the attempts, `connection_lost`.
  const reconnect = { attempts: options.reconnect?.attempts ?? 12, initialDelayMs: options.reconnect?.initialDelayMs ?? 500, maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000 }
  let state: ConnectionState = 'connected'
  let failure: SubtensorError | null = null
  /** Bumped at every drop: a call that started before one cannot trust its answer. */
  let generation = 0
  const inflight = new Set<AbortController>()
  const connectionHandlers = listeners<ConnectionEvent>((err) => log(`subtensor: a connection handler failed: ${describe(err)}`))
  let wake: (() => void) | null = null
  const emit = (e: ConnectionEvent): void => connectionHandlers.emit(e)
  const lost = (what: string, cause?: unknown): SubtensorError =>
    new SubtensorError(`${what}: the connection to ${options.url} dropped${state === 'reconnecting' ? ' (reconnecting)' : ''}; a transaction may or may not have landed, read the chain before retrying`, { code: 'disconnected', ...(cause === undefined ? {} : { cause }) })

  /**
   * Runs `f` while connected; rejects at once when not connected, and with `disconnected` when the
   * socket drops before it settles (the provider's own error, or our abort of a transaction).
   */
  async function guarded<T>(what: string, f: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (closed) throw new SubtensorError(`${what}: the client is closed`, { code: 'closed' })
    if (failure !== null) throw failure
    if (state !== 'connected') throw lost(what)
    const gen = generation
    const ctl = new AbortController()
    inflight.add(ctl)
    try {
      return await f(ctl.signal)
    } catch (err) {
      if (generation !== gen && !(err instanceof SubtensorError && err.code === 'disconnected')) throw lost(what, err)
      throw err
    } finally {
      inflight.delete(ctl)
    }
  }

  async function reconnectLoop(): Promise<void> {
    for (let attempt = 1; attempt <= reconnect.attempts; attempt++) {
      const delay = Math.min(reconnect.maxDelayMs, reconnect.initialDelayMs * 2 ** (attempt - 1))
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay)
        wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
      wake = null
      if (closed) return
      try {
        await openOnce(provider, options.timeoutMs ?? 10_000)
      } catch (err) {
        log(`subtensor: reconnecting to ${options.url} failed (attempt ${attempt} of ${reconnect.attempts}, next in ${Math.min(reconnect.maxDelayMs, reconnect.initialDelayMs * 2 ** attempt)} ms): ${describe(err)}`)
        emit({ state: 'reconnecting', attempt, error: describe(err) })
        continue
      }
      if (closed) return
      state = 'connected'
      log(`subtensor: reconnected to ${options.url} (attempt ${attempt}); catching up from block ${lastBlock}`)
      emit({ state: 'connected', attempt })
      // The provider resubscribes to new heads by itself; read the head now for what was missed.
      void readHead()
      return
    }
    state = 'failed'
    failure = new SubtensorError(`lost ${options.url}: no answer after ${reconnect.attempts} reconnect attempt(s)`, { code: 'connection_lost' })
    log(`subtensor: ${failure.message}; the client stops`)
    emit({ state: 'failed', attempt: reconnect.attempts, error: failure.message })
    await api.disconnect().catch(() => {})
  }

  provider.on('disconnected', () => {
    if (closed || state !== 'connected') return
    state = 'reconnecting'
    generation++
    const err = lost('a call in flight')
    for (const c of inflight) c.abort(err)
    log(`subtensor: the connection to ${options.url} dropped at block ${lastBlock}; reconnecting (up to ${reconnect.attempts} attempts, ${reconnect.initialDelayMs} ms doubling to ${reconnect.maxDelayMs} ms)`)
    emit({ state: 'reconnecting', attempt: 0 })
    void reconnectLoop()
  })

  let closed = false
  let metagraph: Metagraph | null = null
  let latest: SubtensorEpochResult | null = null
  let uids = new Map<string, number>()
  let params: SubtensorHyperparams = await readHyperparams()
  let lastBlock = -1
  const metagraphHandlers = listeners<Metagraph>((err) => log(`subtensor: a metagraph handler failed: ${describe(err)}`))
  const epochHandlers = listeners<SubtensorEpochResult>((err) => log(`subtensor: an epoch handler failed: ${describe(err)}`))
  const pending: PendingReveal[] = []

  async function readHyperparams(at?: string): Promise<SubtensorHyperparams> {
    const src = at === undefined ? queryModule! : ((await api.at(at)).query as unknown as Record<string, QueryModule>)[PALLET]!
    const opt = async (name: string, ...args: unknown[]): Promise<Codec | null> => (src[name] === undefined ? null : src[name]!(...args))
    const optNum = async (name: string): Promise<number | null> => {
      const c = await opt(name, netuid)
      return c === null ? null : num(c)
    }
    const [tempo, rateLimit, cr, period, versionKey, burn, difficulty, n] = await Promise.all([
      src.tempo!(netuid), src.weightsSetRateLimit!(netuid), src.commitRevealWeightsEnabled!(netuid), opt('revealPeriodEpochs', netuid), src.weightsVersionKey!(netuid), opt('burn', netuid), opt('difficulty', netuid), opt('subnetworkN', netuid),
    ])
    return {
      tempo: num(tempo),
      weightsRateLimit: num(rateLimit),
      commitReveal: bool(cr),
      revealPeriodEpochs: period === null ? 1 : num(period),
      versionKey: big(versionKey),
      burn: burn === null ? null : big(burn),
      difficulty: difficulty === null ? null : big(difficulty),
      n: n === null ? null : num(n),
      immunityPeriod: await optNum('immunityPeriod'),
      activityCutoff: await optNum('activityCutoff'),
      kappa: await optNum('kappa'),
      rho: await optNum('rho'),
      minAllowedWeights: await optNum('minAllowedWeights'),
      maxWeightsLimit: await optNum('maxWeightsLimit'),
      maxAllowedUids: await optNum('maxAllowedUids'),
      maxAllowedValidators: await optNum('maxAllowedValidators'),
    }
  }

  /** The subnet's neurons as stored at `blockHash` (storage, not the runtime API: see docs). */
  async function readMetagraph(blockHash: string, block: number): Promise<Metagraph> {
    const at = ((await api.at(blockHash)).query as unknown as Record<string, QueryModule>)[PALLET]!
    const [keys, permits, lastUpdate, tempo, difficulty] = await Promise.all([
      at.keys!.entries(netuid), at.validatorPermit!(netuid), at.lastUpdate!(netuid), at.tempo!(netuid), at.difficulty === undefined ? Promise.resolve(null) : at.difficulty(netuid),
    ])
    const hotkeys = keys.map(([k, v]) => ({ uid: num(k.args[1]!), hotkey: v.toString() })).sort((a, b) => a.uid - b.uid)
    const [stakes, regs] = await Promise.all([
      at.totalHotkeyAlpha!.multi(hotkeys.map((h) => [h.hotkey, netuid])),
      at.blockAtRegistration!.multi(hotkeys.map((h) => [netuid, h.uid])),
    ])
    const permitV = items(permits).map(bool)
    const lastV = items(lastUpdate).map(num)
    const neurons: NeuronInfo[] = hotkeys.map((h, i) => ({
      uid: h.uid,
      hotkey: h.hotkey,
      stake: big(stakes[i]!).toString(),
      registeredAt: num(regs[i]!),
      validatorPermit: permitV[h.uid] ?? false,
      lastUpdate: lastV[h.uid] ?? 0,
    }))
    const t = num(tempo)
    return {
      netuid,
      block,
      epoch: t > 0 ? epochIndex(netuid, t, block) : 0,
      tempo: t,
      neurons,
      chain: { genesis, session, head: block, headHash: blockHash },
      blockHash,
      difficulty: difficulty === null ? '0' : big(difficulty).toString(),
    }
  }

  /** What the runtime stored for the epoch it ran while building `block`. */
  async function readEpoch(blockHash: string, block: number, tempo: number): Promise<SubtensorEpochResult> {
    const at = ((await api.at(blockHash)).query as unknown as Record<string, QueryModule>)[PALLET]!
    const vec = async (name: string): Promise<Codec[]> => (at[name] === undefined ? [] : items(await at[name]!(netuid)))
    const [incentive, dividends, consensus, trust, rank, validatorTrust, emission] = await Promise.all(
      ['incentive', 'dividends', 'consensus', 'trust', 'rank', 'validatorTrust', 'emission'].map(vec),
    )
    const stored = {
      incentive: incentive!.map(num),
      dividends: dividends!.map(num),
      consensus: consensus!.map(num),
      trust: trust!.map(num),
      rank: rank!.map(num),
      validatorTrust: validatorTrust!.map(num),
      emission: emission!.map((c) => big(c).toString()),
    }
    const digest = `0x${bytesToHex(blake2b(new TextEncoder().encode(JSON.stringify(stored)), { dkLen: 32 }))}`
    return { netuid, epoch: epochIndex(netuid, tempo, block), block, digest, chain: { genesis, session }, logSeq: block, ...stored }
  }

  let reading: Promise<void> | null = null
  let readAgain = false
  /**
   * Reads the chain at the newest head: metagraph, the epochs run since the last read, due
   * reveals. Calls while a read runs coalesce into one more read after it; all resolve then.
   */
  function readHead(): Promise<void> {
    if (state !== 'connected') return Promise.resolve()
    if (reading !== null) {
      readAgain = true
      return reading
    }
    reading = (async () => {
      try {
        do {
          readAgain = false
          await readOnce()
        } while (readAgain && !closed)
      } catch (err) {
        // A drop mid-read is reported by the reconnect; the read after it catches up.
        if (!closed && state === 'connected') log(`subtensor: reading the chain failed: ${describe(err)}`)
      } finally {
        reading = null
      }
    })()
    // A read asked for while a failed one ran (the reconnect's catch-up) runs after it.
    const mine = reading
    void mine.then(() => {
      if (readAgain && reading === null && !closed && state === 'connected') void readHead()
    })
    return mine
  }

  async function readOnce(): Promise<void> {
    const head = await api.rpc.chain.getHeader()
    const block = head.number.toNumber()
    const blockHash = head.hash.toHex()
    if (block <= lastBlock) return
    params = await readHyperparams(blockHash)
    if (lastBlock >= 0 && params.tempo > 0) {
      for (const b of epochBlocksBetween(netuid, params.tempo, lastBlock, block)) {
        const h = b === block ? blockHash : (await api.rpc.chain.getBlockHash(b)).toHex()
        latest = await readEpoch(h, b, params.tempo)
        epochHandlers.emit(latest)
      }
    }
    lastBlock = block
    metagraph = await readMetagraph(blockHash, block)
    uids = new Map(metagraph.neurons.map((n) => [n.hotkey, n.uid]))
    metagraphHandlers.emit(metagraph)
    // Not awaited: a reveal waits for its own block, which a later head brings.
    void revealDue(block)
  }

  async function revealDue(block: number): Promise<void> {
    for (const p of [...pending]) {
      if (p.state !== 'committed') continue
      // The reveal lands in the next block at the earliest: that block must be in the window.
      const s = revealState(p.window, block + 1)
      if (s === 'wait') continue
      if (s === 'expired') {
        pending.splice(pending.indexOf(p), 1)
        log(`subtensor: the commit of block ${p.commitBlock} expired unrevealed (window ${p.window.first}..${p.window.last})`)
        continue
      }
      p.state = 'revealing'
      try {
        const at = await client.revealWeights(p.uids, p.weights, p.salt, p.versionKey)
        log(`subtensor: revealed the weights committed at block ${p.commitBlock} in block ${at.blockNumber}`)
      } catch (err) {
        log(`subtensor: reveal of the commit of block ${p.commitBlock} failed: ${describe(err)}`)
      } finally {
        pending.splice(pending.indexOf(p), 1)
      }
    }
  }

  const versionKey = (): bigint => options.versionKey ?? params.versionKey

  const client: SubtensorClient = {
    netuid,
    api: () => api,
    metagraph: () => metagraph,
    latestEpoch: () => latest,
    onMetagraph: (handler) => metagraphHandlers.on(handler),
    onEpoch: (handler) => epochHandlers.on(handler),
    uidOf: (hotkey) => uids.get(hotkey),
    chainInfo(): ChainInfo | null {
      if (metagraph === null) return null
      return { genesis, session, blockHash: metagraph.blockHash, difficulty: BigInt(metagraph.difficulty), head: metagraph.block }
    },
    hyperparams: () => guarded('reading the hyperparameters', () => readHyperparams()),
    connected: () => state === 'connected',
    onConnection: (handler) => connectionHandlers.on(handler),
    pendingReveals: () => pending.map((p) => ({ ...p, uids: [...p.uids], weights: [...p.weights], salt: [...p.salt] })),
    async setWeights(uidList, weights) {
      const hp = await guarded('reading the hyperparameters', () => readHyperparams())
      if (!hp.commitReveal) {
        await client.setWeightsNow(uidList, weights)
        return
      }
      const salt = randomSalt()
      const vk = versionKey()
      const at = await client.commitWeights(uidList, weights, salt, vk)
      pending.push({ uids: [...uidList], weights: [...weights], salt, versionKey: vk, commitBlock: at.blockNumber, window: revealWindow(netuid, hp.tempo, hp.revealPeriodEpochs, at.blockNumber), state: 'committed' })
    },
    setWeightsNow: (uidList, weights) => send(signer, 'hotkey', 'set_weights', () => tx('setWeights', netuid, uidList, weights, versionKey())),
    commitWeights(uidList, weights, salt, vk = versionKey()) {
      if (signer === undefined) return Promise.reject(new SubtensorError('commit_weights needs a hotkey to sign it', { code: 'no_signer' }))
      const hash = commitHash({ hotkeyPublicKey: signer.publicKey, netuid, uids: uidList, values: weights, salt, versionKey: vk })
      return send(signer, 'hotkey', 'commit_weights', () => tx('commitWeights', netuid, u8aToHex(hash)))
    },
    revealWeights: (uidList, weights, salt, vk = versionKey()) => send(signer, 'hotkey', 'reveal_weights', () => tx('revealWeights', netuid, uidList, weights, salt, vk)),
    async burnedRegister(opts = {}) {
      const hotkey = opts.hotkey ?? signer?.address
      if (hotkey === undefined) throw new SubtensorError('burned_register needs a hotkey', { code: 'no_signer' })
      const at = await send(opts.coldkey ?? coldkey, 'coldkey', 'burned_register', () => tx('burnedRegister', netuid, hotkey))
      const uid = await guarded('reading the uid', () => q('uids')(netuid, hotkey))
      const u = (uid as unknown as { isSome: boolean; unwrap(): Codec }).isSome ? num((uid as unknown as { unwrap(): Codec }).unwrap()) : NaN
      return { ...at, uid: u }
    },
    addStake: (amount, opts = {}) => {
      const hotkey = opts.hotkey ?? signer?.address
      if (hotkey === undefined) return Promise.reject(new SubtensorError('add_stake needs a hotkey', { code: 'no_signer' }))
      return send(opts.coldkey ?? coldkey, 'coldkey', 'add_stake', () => tx('addStake', hotkey, netuid, amount))
    },
    async publishPeer(peerId, addrs) {
      let bytes: Uint8Array
      try {
        bytes = encodePeerCommitment(peerId, addrs)
      } catch (err) {
        throw new SubtensorError(`cannot publish ${peerId}: ${(err as Error).message}`, { code: 'bad_options', cause: err })
      }
      const commitments = (api.tx as unknown as Record<string, Record<string, (...a: unknown[]) => Parameters<typeof submitAndWait>[1]> | undefined>).commitments
      const commitmentOf = (api.query as unknown as Record<string, QueryModule | undefined>).commitments?.commitmentOf
      if (commitments?.setCommitment === undefined || commitmentOf === undefined) throw new SubtensorError('the runtime has no Commitments pallet to publish an address in', { code: 'missing_call' })
      if (signer === undefined) throw new SubtensorError('set_commitment needs a hotkey to sign it', { code: 'no_signer' })
      // The pallet rate-limits commitments (raonet: one per 100 blocks): skip what is there already.
      const stored = await guarded('reading the commitment', () => commitmentOf(netuid, signer.address))
      const mine = commitmentField(stored)
      if (mine !== null && u8aToHex(mine.bytes) === u8aToHex(bytes)) return { changed: false, blockNumber: mine.block, bytes: bytes.length }
      const at = await send(signer, 'hotkey', 'set_commitment', () => commitments.setCommitment!(netuid, { fields: [{ [`Raw${bytes.length}`]: u8aToHex(bytes) }] }))
      return { changed: true, blockNumber: at.blockNumber, blockHash: at.blockHash, bytes: bytes.length }
    },
    async peers() {
      const commitmentOf = (api.query as unknown as Record<string, QueryModule | undefined>).commitments?.commitmentOf
      if (commitmentOf === undefined) throw new SubtensorError('the runtime has no Commitments pallet to read addresses from', { code: 'missing_storage' })
      const entries = await guarded('reading the commitments', () => commitmentOf.entries(netuid))
      const out: PeerListing = { peers: new Map(), refused: [] }
      for (const [key, value] of entries.slice(0, MAX_COMMITMENT_ENTRIES)) {
        const hotkey = key.args[1]!.toString()
        // Only hotkeys that hold a uid now: a deregistered key's commitment may linger.
        if (!uids.has(hotkey)) continue
        const field = commitmentField(value)
        if (field === null) {
          out.refused.push({ hotkey, error: 'not_webtensor', detail: 'no Raw field' })
          continue
        }
        const r = decodePeerCommitment(field.bytes)
        if (r.ok) out.peers.set(hotkey, { ...r.peer, block: field.block })
        else out.refused.push({ hotkey, error: r.error, detail: r.detail })
      }
      return out
    },
    async refresh() {
      await guarded('refresh', async () => {
        // A read in flight may have started before the newest head: ask for one more after it.
        if (reading !== null) readAgain = true
        await readHead()
      })
    },
    async close() {
      if (closed) return
      closed = true
      wake?.()
      for (const c of inflight) c.abort(new SubtensorError('the client was closed', { code: 'closed' }))
      unsubHeads()
      await api.disconnect().catch(() => {})
    },
  }

  const unsubHeads = await api.rpc.chain.subscribeNewHeads(() => void readHead())
  await client.refresh()
  log(`subtensor: following subnet ${netuid} on ${options.url} (${session}, genesis ${genesis.slice(0, 10)}…) from block ${lastBlock}`)
  return client
}

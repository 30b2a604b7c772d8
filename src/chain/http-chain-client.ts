/**
 * A read-only `ChainClient` over a webtensor server's view of a subtensor subnet
 * (`GET /api/chain/state`, served by `webtensor start --chain`): what a page needs to mine on a
 * chain-backed subnet without loading @polkadot/api. The server's answer is checked for shape
 * before use (it is network input); a page that wants to trust no server follows the chain itself.
 */
import { WebtensorError } from '../errors.ts'
import { listeners } from './listeners.ts'
import type { ChainClient, ChainInfo, EpochResult, Metagraph, NeuronInfo } from './types.ts'

export class HttpChainError extends WebtensorError {
  override name = 'HttpChainError'
}

/** What `/api/chain/state` answers. */
export interface ChainStateSnapshot {
  kind: 'subtensor'
  /** The subtensor subnet (the manifest's netuid names the mesh's topics). */
  netuid: number
  metagraph: Metagraph | null
  epoch: EpochResult | null
}

export interface HttpChainOptions {
  /** The `/api/chain/state` URL. */
  url: string | URL
  /** Poll period (default 2 s). */
  pollMs?: number
  fetch?: typeof fetch
  log?: (line: string) => void
}

export interface HttpChainClient extends ChainClient {
  /** Reads the state now (polls continue in the background until `close`). */
  refresh(): Promise<void>
  close(): Promise<void>
}

const MAX_UIDS = 4096
const isInt = (x: unknown, min: number, max: number): x is number => Number.isInteger(x) && (x as number) >= min && (x as number) <= max
const isU16Array = (x: unknown): x is number[] => Array.isArray(x) && x.length <= MAX_UIDS && x.every((v) => isInt(v, 0, 0xffff))
const isHex32 = (x: unknown): x is string => typeof x === 'string' && /^0x[0-9a-f]{64}$/i.test(x)

function checkNeuron(n: unknown): n is NeuronInfo {
  if (n === null || typeof n !== 'object') return false
  const o = n as Record<string, unknown>
  return isInt(o.uid, 0, 0xffff) && typeof o.hotkey === 'string' && o.hotkey.length <= 64 && typeof o.stake === 'string' && /^\d{1,39}$/.test(o.stake) &&
    isInt(o.registeredAt, 0, Number.MAX_SAFE_INTEGER) && typeof o.validatorPermit === 'boolean' && isInt(o.lastUpdate, 0, Number.MAX_SAFE_INTEGER)
}

/** The snapshot if it has the documented shape, else a reason; extra fields are kept as sent. */
export function parseChainState(value: unknown): { ok: true; state: ChainStateSnapshot } | { ok: false; reason: string } {
  if (value === null || typeof value !== 'object') return { ok: false, reason: 'not an object' }
  const v = value as Record<string, unknown>
  if (v.kind !== 'subtensor') return { ok: false, reason: 'kind is not "subtensor"' }
  if (!isInt(v.netuid, 0, 0xffff)) return { ok: false, reason: 'netuid' }
  let metagraph: Metagraph | null = null
  if (v.metagraph !== null) {
    const m = v.metagraph as Record<string, unknown> | undefined
    if (m === undefined || typeof m !== 'object') return { ok: false, reason: 'metagraph' }
    if (!isInt(m.block, 0, Number.MAX_SAFE_INTEGER) || !isInt(m.tempo, 0, 0xffff) || !isInt(m.epoch, 0, Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'metagraph block/tempo/epoch' }
    if (!Array.isArray(m.neurons) || m.neurons.length > MAX_UIDS || !m.neurons.every(checkNeuron)) return { ok: false, reason: 'metagraph neurons' }
    const c = m.chain as Record<string, unknown> | undefined
    if (c === undefined || c === null || typeof c !== 'object' || !isHex32(c.genesis) || typeof c.session !== 'string' || !isInt(c.head, 0, Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'metagraph chain' }
    if (!isHex32(m.blockHash) || typeof m.difficulty !== 'string' || !/^\d{1,20}$/.test(m.difficulty)) return { ok: false, reason: 'metagraph blockHash/difficulty' }
    metagraph = m as unknown as Metagraph
  }
  let epoch: EpochResult | null = null
  if (v.epoch !== null) {
    const e = v.epoch as Record<string, unknown> | undefined
    if (e === undefined || typeof e !== 'object') return { ok: false, reason: 'epoch' }
    if (!isInt(e.epoch, 0, Number.MAX_SAFE_INTEGER) || !isInt(e.block, 0, Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'epoch number/block' }
    if (!isU16Array(e.incentive) || !isU16Array(e.dividends) || typeof e.digest !== 'string') return { ok: false, reason: 'epoch incentive/dividends/digest' }
    epoch = e as unknown as EpochResult
  }
  return { ok: true, state: { kind: 'subtensor', netuid: v.netuid, metagraph, epoch } }
}

/**
 * Follows `/api/chain/state`: handlers hear each new metagraph (by block) and each new epoch (by
 * block). `setWeights` rejects (`read_only`): weights on subtensor are signed extrinsics, sent by
 * `webtensor validator --chain`.
 * @example const chain = createHttpChainClient({ url: new URL('/api/chain/state', origin) }); await chain.refresh()
 */
export function createHttpChainClient(options: HttpChainOptions): HttpChainClient {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  const log = options.log ?? (() => {})
  const metagraphHandlers = listeners<Metagraph>((err) => log(`a metagraph handler failed: ${String(err)}`))
  const epochHandlers = listeners<EpochResult>((err) => log(`an epoch handler failed: ${String(err)}`))
  let metagraph: Metagraph | null = null
  let epoch: EpochResult | null = null
  let closed = false
  let lastProblem = ''
  let inFlight: Promise<void> | null = null

  const readOnce = async (): Promise<void> => {
    let body: unknown
    try {
      const res = await doFetch(String(options.url), { cache: 'no-store' })
      if (!res.ok) throw new HttpChainError(`${String(options.url)} answered ${res.status}`, { code: 'http_status' })
      body = await res.json()
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err)
      if (text !== lastProblem) log(`chain state unavailable: ${text}`)
      lastProblem = text
      return
    }
    const parsed = parseChainState(body)
    if (!parsed.ok) {
      if (parsed.reason !== lastProblem) log(`chain state refused: ${parsed.reason}`)
      lastProblem = parsed.reason
      return
    }
    lastProblem = ''
    const { metagraph: m, epoch: e } = parsed.state
    if (m !== null && (metagraph === null || m.block !== metagraph.block || m.chain.genesis !== metagraph.chain.genesis)) {
      metagraph = m
      metagraphHandlers.emit(m)
    }
    if (e !== null && (epoch === null || e.block !== epoch.block)) {
      epoch = e
      epochHandlers.emit(e)
    }
  }
  const refresh = (): Promise<void> => {
    if (closed) return Promise.resolve()
    inFlight ??= readOnce().finally(() => (inFlight = null))
    return inFlight
  }
  const timer = setInterval(() => void refresh(), options.pollMs ?? 2000)
  void refresh()

  return {
    metagraph: () => metagraph,
    latestEpoch: () => epoch,
    onMetagraph: (handler) => metagraphHandlers.on(handler),
    onEpoch: (handler) => epochHandlers.on(handler),
    setWeights: () => Promise.reject(new HttpChainError('this chain view is read-only: weights on subtensor are sent by `webtensor validator --chain`', { code: 'read_only' })),
    uidOf: (hotkey) => metagraph?.neurons.find((n) => n.hotkey === hotkey)?.uid,
    chainInfo(): ChainInfo | null {
      if (metagraph === null) return null
      return { genesis: metagraph.chain.genesis, session: metagraph.chain.session, blockHash: metagraph.blockHash, difficulty: BigInt(metagraph.difficulty), head: metagraph.chain.head }
    },
    refresh,
    async close() {
      closed = true
      clearInterval(timer)
      metagraphHandlers.clear()
      epochHandlers.clear()
    },
  }
}

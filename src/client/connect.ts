/**
 * `connect`: a client of a webtensor subnet for pages and Node programs that want to USE what the
 * miners compute. It joins the mesh with its own throwaway hotkey (or one it is given), follows the
 * chain, learns where miners are from their signed announces, and asks the best-paid ones.
 */
import type { ChainClient, Metagraph } from '../chain/index.ts'
import { WebtensorError } from '../errors.ts'
import { generateHotkey, type Signer } from '../identity/index.ts'
import { joinSubnet } from '../node/join.ts'
import { LIMITS, MAX_WIRE_BYTES, type Envelope, type IceServer, type Mesh } from '../p2p/index.ts'
import { ASK_REQUEST, DEFAULT_ASK_POLICY, DirectDoor, ExchangeError, decodeAskRefusal, parseManifest, rankMiners, seal, type AskRefusal, type AskTarget, type SubnetManifest } from '../subnet/index.ts'

/** A client could not join, or an ask got no answer. `code`: `bad_server`, `not_ready`, `no_miners`, `no_answer`, `closed`; per miner (`onError`): `refused` ({@link AskRefusedError}), `dial_failed`, `timeout`, `request_failed`, and the answer checks' codes. */
export class ClientError extends WebtensorError {
  override name = 'ClientError'
}

/**
 * A miner refused an ask and said why: `reason` is the miner's (`ask_busy`, `ask_rate_limit_hotkey`,
 * `ask_paused`, …), `retryAfterMs` when it knows when an ask would not be refused for it. Code `refused`.
 */
export class AskRefusedError extends ClientError {
  override name = 'AskRefusedError'
  readonly reason: string
  readonly retryAfterMs: number | undefined
  constructor(uid: number, refusal: AskRefusal) {
    // The miner's words are quoted (JSON): they come from the network and may hold anything.
    const retry = refusal.retryAfterMs === undefined ? '' : `; try again in ${Math.ceil(refusal.retryAfterMs / 1000)} s`
    super(`uid ${uid} refused the ask (${refusal.refused}): ${JSON.stringify(refusal.message)}${retry}`, { code: 'refused' })
    this.reason = refusal.refused
    this.retryAfterMs = refusal.retryAfterMs
  }
}

export interface ConnectOptions {
  /** A webtensor server (`http(s)://host:port`): its `/api/config` gives the relay, ICE servers and manifest. */
  server?: string
  /** Or the relay's multiaddrs and the subnet's manifest, given directly. */
  relay?: string[]
  manifest?: SubnetManifest
  iceServers?: IceServer[]
  /** The asker's hotkey; default a fresh one (asks are rate-limited per hotkey, not paid for). */
  signer?: Signer
  /** Node: where to listen (default an OS-chosen WebSocket port on 127.0.0.1). */
  listen?: string[]
  log?: (line: string) => void
}

export interface AskOptions {
  /** How many miners to ask at once (default 3), the best by incentive that can be reached. */
  miners?: number
  /** Tokens to generate (default and most: the miners' cap, 64 by default). */
  maxNewTokens?: number
  /** Per miner (default 30 s). */
  timeoutMs?: number
  signal?: AbortSignal
  /** Called for each miner that refused or did not answer. */
  onError?: (error: Error, miner: AskTarget) => void
}

/** One miner's answer, checked: signed by that registered miner's hotkey, from its peer, to this ask. */
export interface AskAnswer {
  uid: number
  hotkey: string
  /** The miner's incentive (0..1) in the latest epoch when it was chosen. */
  incentive: number
  text: string
  tokens: number
  /** The signed envelope as received (CBOR `[body, signature]`): anyone can check it again. */
  signed: Uint8Array
  latencyMs: number
}

export interface Network {
  /** The asker's hotkey (SS58). */
  readonly hotkey: string
  readonly mesh: Mesh
  readonly chain: ChainClient
  metagraph(): Metagraph | null
  /** Miners that can be asked now, best first. */
  miners(): AskTarget[]
  /** Resolves once a metagraph is known and `miners` (default 1) miners can be reached; ClientError `not_ready` after `timeoutMs` (default 30 s). */
  ready(options?: { miners?: number; timeoutMs?: number }): Promise<void>
  /**
   * Asks `prompt` of the best-paid reachable miners; yields each checked answer as it arrives.
   * Throws ClientError `no_answer` when none answered (the reasons in its message).
   * @example for await (const a of network.ask('The capital of France is')) console.log(a.uid, a.text)
   */
  ask(prompt: string, options?: AskOptions): AsyncIterable<AskAnswer>
  close(): Promise<void>
}

/** What `/api/config` of a webtensor server says about joining it. */
export interface ServerJoinConfig {
  relay: string[]
  iceServers: IceServer[]
  manifest: SubnetManifest
}

/** Reads and checks a webtensor server's `/api/config` (the server is not trusted for more than where to join). */
export async function fetchServerConfig(server: string): Promise<ServerJoinConfig> {
  let res: Response
  try {
    res = await fetch(new URL('/api/config', server))
  } catch (err) {
    throw new ClientError(`cannot reach ${server}: ${(err as Error).message}; is the server running (npm start)?`, { code: 'bad_server', cause: err })
  }
  if (!res.ok) throw new ClientError(`${server}/api/config answered ${res.status}`, { code: 'bad_server' })
  const body = (await res.json()) as { relay?: unknown; iceServers?: unknown; manifest?: unknown }
  if (!Array.isArray(body.relay) || !body.relay.every((a) => typeof a === 'string')) throw new ClientError(`${server}/api/config has no relay addresses`, { code: 'bad_server' })
  let manifest: SubnetManifest
  try {
    manifest = parseManifest(body.manifest)
  } catch (err) {
    throw new ClientError(`${server}/api/config carries a manifest that does not parse: ${(err as Error).message}`, { code: 'bad_server', cause: err })
  }
  return { relay: body.relay as string[], iceServers: Array.isArray(body.iceServers) ? (body.iceServers as IceServer[]) : [], manifest }
}

let askCounter = 0
/** How long an ask that could not reach its miner (no address known yet, a link that failed) waits before its one more try. */
const REDIAL_WAIT_MS = 1500

/**
 * Joins a subnet to ask its miners.
 * @example const network = await connect({ server: 'http://127.0.0.1:8080' }); await network.ready()
 */
export async function connect(options: ConnectOptions): Promise<Network> {
  let relay = options.relay
  let manifest = options.manifest
  let iceServers = options.iceServers
  if (options.server !== undefined) {
    const config = await fetchServerConfig(options.server)
    relay ??= config.relay
    manifest ??= config.manifest
    iceServers ??= config.iceServers
  }
  if (relay === undefined || manifest === undefined) throw new ClientError('connect needs a server URL, or relay addresses and a manifest', { code: 'bad_server' })
  const signer = options.signer ?? (await generateHotkey())
  const inBrowser = typeof window !== 'undefined'
  const { mesh, chain } = await joinSubnet({
    manifest,
    signer,
    bootstrap: relay,
    ...(iceServers === undefined ? {} : { iceServers }),
    ...(inBrowser ? {} : { listen: options.listen ?? ['/ip4/127.0.0.1/tcp/0/ws'] }),
    ...(options.log === undefined ? {} : { log: options.log }),
  })
  const netuid = manifest.netuid
  // Where each miner can be asked: the peer its latest signed announce came from (the envelope binds hotkey and peer).
  const minerPeers = new Map<string, string>()
  const unsubscribe = mesh.subscribe('announce', (msg) => {
    if (msg.payload.role === 'miner') minerPeers.set(msg.hotkey, msg.peerId)
  })
  // Answers come from miners only; a miner's answer to one ask needs no budget beyond the asks sent.
  const door = new DirectDoor({ netuid, peerRate: { perSecond: 10, burst: 20 } })
  let closed = false

  const miners = (count = Number.MAX_SAFE_INTEGER): AskTarget[] => {
    const m = chain.metagraph()
    if (m === null) return []
    const owner = new Set([manifest.owner.hotkey, signer.address])
    return rankMiners(m.neurons, chain.latestEpoch()?.incentive ?? [], minerPeers, count, owner)
  }

  const askOne = async (target: AskTarget, prompt: string, maxNewTokens: number, timeoutMs: number): Promise<AskAnswer> => {
    const id = `ask-${Date.now().toString(36)}-${(askCounter++).toString(36)}`
    const bytes = seal(mesh, signer, netuid, 'ask', { id, miner: target.hotkey, prompt, maxNewTokens })
    const started = performance.now()
    let reply: Uint8Array
    try {
      reply = await mesh.request(target.peerId, ASK_REQUEST, bytes, { timeoutMs, maxBytes: MAX_WIRE_BYTES.answer })
    } catch (err) {
      const unanswered = (e: unknown) => new ClientError(`uid ${target.uid} did not answer: ${(e as Error).message}`, { code: (e as { code?: string }).code ?? 'request_failed', cause: e })
      // No stream opened (typically: the miner's announce was heard before the relay's directory
      // said where to reach it): the ask never left, so waiting a moment and sending it once more
      // spends nothing at the miner. Any other failure (a stream that broke, a timeout) is final.
      const left = Math.floor(timeoutMs - (performance.now() - started) - REDIAL_WAIT_MS)
      if ((err as { code?: string }).code !== 'dial_failed' || left < 1000) throw unanswered(err)
      await new Promise((r) => setTimeout(r, REDIAL_WAIT_MS))
      reply = await mesh.request(target.peerId, ASK_REQUEST, bytes, { timeoutMs: left, maxBytes: MAX_WIRE_BYTES.answer }).catch((again: unknown) => {
        throw unanswered(again)
      })
    }
    let refusal: AskRefusal | null
    try {
      refusal = decodeAskRefusal(reply)
    } catch (err) {
      throw new ClientError(`uid ${target.uid} sent a refusal that does not check: ${(err as Error).message}`, { code: 'malformed', cause: err })
    }
    if (refusal !== null) throw new AskRefusedError(target.uid, refusal)
    let answer: Envelope<'answer'>
    try {
      answer = door.open(reply, 'answer', target.peerId)
    } catch (err) {
      throw new ClientError(`uid ${target.uid} sent an answer that does not check: ${(err as Error).message}`, { code: (err as ExchangeError).code, cause: err })
    }
    // Signed by whom we asked, still registered, for this ask and this asker.
    if (answer.hotkey !== target.hotkey) throw new ClientError(`answer signed by ${answer.hotkey}, not uid ${target.uid}`, { code: 'wrong_signer' })
    if (chain.uidOf(answer.hotkey) !== target.uid) throw new ClientError(`${answer.hotkey} is no longer uid ${target.uid}`, { code: 'not_registered' })
    if (answer.payload.askId !== id || answer.payload.asker !== signer.address) throw new ClientError('answer to another ask', { code: 'wrong_ask' })
    return { uid: target.uid, hotkey: target.hotkey, incentive: target.incentive, text: answer.payload.text, tokens: answer.payload.tokens, signed: reply, latencyMs: Math.round(performance.now() - started) }
  }

  return {
    hotkey: signer.address,
    mesh,
    chain,
    metagraph: () => chain.metagraph(),
    miners: () => miners(),
    async ready(o = {}) {
      const want = o.miners ?? 1
      const deadline = Date.now() + (o.timeoutMs ?? 30_000)
      while (chain.metagraph() === null || miners().length < want) {
        if (closed) throw new ClientError('the network was closed', { code: 'closed' })
        if (Date.now() > deadline) {
          throw new ClientError(
            chain.metagraph() === null ? 'no metagraph from the subnet owner yet: is the subnet running?' : `${miners().length} of ${want} miners reachable so far`,
            { code: 'not_ready' },
          )
        }
        await new Promise((r) => setTimeout(r, 200))
      }
    },
    async *ask(prompt, o = {}) {
      if (closed) throw new ClientError('the network was closed', { code: 'closed' })
      if (prompt.length === 0 || prompt.length > LIMITS.maxPromptChars) throw new ClientError(`a prompt is 1 to ${LIMITS.maxPromptChars} characters`, { code: 'bad_prompt' })
      const targets = miners(o.miners ?? 3)
      if (targets.length === 0) throw new ClientError('no miner can be reached yet (await network.ready())', { code: 'no_miners' })
      const maxNewTokens = Math.max(1, Math.min(o.maxNewTokens ?? DEFAULT_ASK_POLICY.maxNewTokens, LIMITS.maxAskTokens))
      // Each miner's answer is yielded as soon as it is checked; the slowest does not hold the others.
      type Settled = { i: number; answer?: AskAnswer; error?: Error }
      const pending = new Map<number, Promise<Settled>>()
      targets.forEach((t, i) => {
        pending.set(
          i,
          askOne(t, prompt, maxNewTokens, o.timeoutMs ?? 30_000).then(
            (answer) => ({ i, answer }),
            (error: Error) => ({ i, error }),
          ),
        )
      })
      const errors: string[] = []
      let answered = 0
      while (pending.size > 0) {
        if (o.signal?.aborted) throw new ClientError('ask aborted', { code: 'aborted' })
        const s = await Promise.race(pending.values())
        pending.delete(s.i)
        if (s.answer !== undefined) {
          answered++
          yield s.answer
        } else {
          errors.push(s.error!.message)
          o.onError?.(s.error!, targets[s.i]!)
        }
      }
      if (answered === 0) throw new ClientError(`no miner answered: ${errors.join('; ')}`, { code: 'no_answer' })
    },
    async close() {
      if (closed) return
      closed = true
      unsubscribe()
      await mesh.stop()
    },
  }
}

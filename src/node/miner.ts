import type { ChainClient, EpochResult } from '../chain/index.ts'
import { createInlineSolver, type PowSolver } from '../chain/pow-solver.ts'
import type { ModelRunner } from '../inference/index.ts'
import { TokenBuckets, type Envelope, type Mesh } from '../p2p/index.ts'
import { U16_MAX } from '../scoring/weights.ts'
import { DirectDoor, ExchangeError, QUERY_REQUEST, seal } from '../subnet/exchange.ts'
import { ASK_REQUEST, askPolicyFor, encodeAskRefusal, type AskPolicy } from '../subnet/ask.ts'
import { createTask, type SubnetTask } from '../subnet/tasks/index.ts'
import type { Signer } from '../identity/identity.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'
import type { BusyBudget } from './busy-budget.ts'
import { registerOverMesh } from './register.ts'

export interface MinerOptions {
  manifest: SubnetManifest
  mesh: Mesh
  chain: ChainClient
  runner: ModelRunner
  signer: Signer
  /** Free-form agent string announced to peers (e.g. `webtensor-browser/0.1`). */
  agent: string
  log?: (line: string) => void
  /** Queries accepted while others are still being answered; more are refused at once (a slow miner must not build a backlog). */
  maxQueue?: number
  /** The work this miner does; default: the manifest's task. Tests pass adversaries here. */
  task?: SubnetTask
  /** Finds the registration's proof of work; default in this thread (a page passes its worker). */
  solver?: PowSolver
  /** The share of time the model may run (see `BusyBudget`): a query over budget is refused (`throttled`). */
  budget?: Pick<BusyBudget, 'canStart' | 'record'>
  /** While this says true the model runs nothing: queries are refused (`paused`), e.g. a hidden tab. */
  paused?: () => boolean
  /**
   * `pow` (default): register by proof of work over the mesh, as the local chain takes it.
   * `external`: the hotkey is registered on the chain by other means (a subtensor
   * `burned_register` signed by its coldkey); the miner waits for its uid in the metagraph.
   */
  registration?: 'pow' | 'external'
  /** Limits on answering asks (`network.ask`), over the subnet task's default policy; `false` serves none. */
  ask?: Partial<Omit<AskPolicy, 'enabled' | 'reason'>> | false
}

/** Where the miner's registration stands: the proof of work's progress while it solves. */
export interface RegistrationProgress {
  phase: 'waiting' | 'solving' | 'submitted' | 'registered'
  tries?: number
  hashesPerSecond?: number
  difficulty?: string
  block?: number
}

export interface MinerStats {
  uid: number | null
  queriesAnswered: number
  /** Asks (`network.ask`) answered; refused ones count in `queriesRefused` as `ask_<reason>`. */
  asksAnswered: number
  /** Queries refused at the door, by reason (not a permitted validator, over its rate, busy, …). */
  queriesRefused: Record<string, number>
  /** The latest weight a validator set on this miner, as a proportion of 65535. */
  lastScore: number | null
  /** Incentive and dividends of this uid in the latest epoch (proportions). */
  incentive: number | null
  dividends: number | null
  epoch: number | null
  lastAnswerMs: number | null
  registration: RegistrationProgress | null
}

export interface MinerNode {
  start(): Promise<void>
  stop(): Promise<void>
  stats(): MinerStats
  /** Called whenever the stats change. */
  onUpdate(handler: (s: MinerStats) => void): () => void
}

const ANNOUNCE_UNREGISTERED_MS = 2_000
/** How long an ask waits for validators' queries in progress before it is refused as busy. */
const ASK_WAIT_MS = 5_000
const ANNOUNCE_REGISTERED_MS = 30_000

/**
 * A miner: registers by proof of work, announces itself, and answers the queries validators
 * send it directly — only from hotkeys holding a validator permit, within the manifest's rate
 * per validator, and only as many at a time as `maxQueue` (the rest are refused, not queued).
 * It follows its score and incentive from weights and epochs.
 */
export function createMinerNode(options: MinerOptions): MinerNode {
  const { manifest, mesh, chain, runner, signer, agent, log = () => {} } = options
  const hotkey = signer.address
  const task = options.task ?? createTask(manifest.task)
  const maxQueue = options.maxQueue ?? 2
  const perMinute = manifest.validation.maxQueriesPerMinute
  const stats: MinerStats = { uid: null, queriesAnswered: 0, asksAnswered: 0, queriesRefused: {}, lastScore: null, incentive: null, dividends: null, epoch: null, lastAnswerMs: null, registration: null }
  const solver = options.solver ?? createInlineSolver()
  let registering: AbortController | null = null
  // A validator's queries come from its own peer: a neighbour may send a little more than one
  // validator's share (retries) before it is cut off unread.
  const door = new DirectDoor({ netuid: manifest.netuid, peerRate: { perSecond: (perMinute / 60) * 2, burst: Math.max(4, perMinute / 10) } })
  // Per validator hotkey: `perMinute` sustained, a tenth of it in a burst.
  const budgets = new TokenBuckets({ perSecond: perMinute / 60, burst: Math.max(2, Math.ceil(perMinute / 10)) }, 1024)
  const askPolicy: AskPolicy = options.ask === false ? { ...askPolicyFor(manifest.task), enabled: false, reason: 'this miner serves no asks' } : askPolicyFor(manifest.task, options.ask ?? {})
  // Asks come from anyone (hotkeys are free): per neighbour and per asker hotkey (the door meters
  // the hotkey after its signature, so nobody spends another's budget), and all together.
  const perAsker = { perSecond: askPolicy.perAskerPerMinute / 60, burst: Math.max(2, Math.ceil(askPolicy.perAskerPerMinute / 2)) }
  const askDoor = new DirectDoor({ netuid: manifest.netuid, peerRate: perAsker, hotkeyRate: perAsker })
  const askTotal = new TokenBuckets({ perSecond: askPolicy.perMinute / 60, burst: Math.max(2, Math.ceil(askPolicy.perMinute / 10)) }, 1)
  const handlers = new Set<(s: MinerStats) => void>()
  const unsubscribe: (() => void)[] = []
  let unhandle: (() => Promise<void>) | undefined
  let unhandleAsk: (() => Promise<void>) | undefined
  let inFlight = 0
  let asking = false
  let running = false
  let announceTimer: ReturnType<typeof setTimeout> | undefined

  const changed = (): void => {
    for (const h of handlers) h({ ...stats, queriesRefused: { ...stats.queriesRefused } })
  }
  const countRefusal = (code: string): void => {
    stats.queriesRefused[code] = (stats.queriesRefused[code] ?? 0) + 1
    changed()
  }
  const refuse = (code: string, message: string): never => {
    countRefusal(code)
    throw new ExchangeError(message, { code })
  }

  /** An ask is refused with a reason the asker reads (subnet/ask.ts), not a reset stream. */
  const refuseAsk = (code: string, message: string, retryAfterMs?: number): Uint8Array => {
    countRefusal(code)
    return encodeAskRefusal({ refused: code, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) })
  }

  const announce = (): void => {
    if (!running) return
    mesh.publish('announce', { role: 'miner', model: manifest.model.id, device: runner.device, agent }).catch((err: unknown) => {
      log(`miner: announce failed: ${String(err)}`)
    })
    announceTimer = setTimeout(announce, stats.uid === null ? ANNOUNCE_UNREGISTERED_MS : ANNOUNCE_REGISTERED_MS)
  }

  /**
   * Registers by proof of work, as subtensor's `register` does: solve on the latest block hash,
   * submit, re-solve when the work went stale or the subnet refused it. Runs again if the uid is
   * later pruned.
   */
  const ensureRegistered = (): void => {
    if (options.registration === 'external') return
    if (!running || registering !== null || chain.uidOf(hotkey) !== undefined) return
    const abort = (registering = new AbortController())
    registerOverMesh({
      chain,
      mesh,
      hotkey,
      hotkeyPublicKey: signer.publicKey,
      solve: solver,
      onProgress: (p) => {
        stats.registration = { phase: p.phase, ...(p.tries === undefined ? {} : { tries: p.tries }), ...(p.hashesPerSecond === undefined ? {} : { hashesPerSecond: Math.round(p.hashesPerSecond) }), ...(p.difficulty === undefined ? {} : { difficulty: p.difficulty.toString() }), ...(p.block === undefined ? {} : { block: p.block }) }
        changed()
      },
      signal: abort.signal,
    })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) log(`miner: registration failed: ${String(err)}`)
      })
      .finally(() => {
        if (registering === abort) registering = null
      })
  }

  const isPermittedValidator = (who: string): boolean => {
    const uid = chain.uidOf(who)
    return uid !== undefined && chain.metagraph()?.neurons.find((n) => n.uid === uid)?.validatorPermit === true
  }

  const serve = async (bytes: Uint8Array, fromPeer: string): Promise<Uint8Array> => {
    if (!running) return refuse('stopped', 'miner is stopped')
    if (options.paused?.() === true) return refuse('paused', 'miner is paused')
    if (options.budget !== undefined && !options.budget.canStart(performance.now())) return refuse('throttled', 'miner is over its share of busy time')
    // Nothing is queued: a busy miner says so at once, before decoding anything.
    if (inFlight >= maxQueue) return refuse('busy', `${inFlight} queries in progress`)
    let query: Envelope<'query'>
    try {
      query = door.open(bytes, 'query', fromPeer)
    } catch (err) {
      return refuse((err as ExchangeError).code, (err as Error).message)
    }
    if (query.payload.miner !== hotkey) return refuse('not_for_me', `query for ${query.payload.miner}`)
    if (!isPermittedValidator(query.hotkey)) return refuse('no_permit', `${query.hotkey} holds no validator permit`)
    if (query.payload.task !== task.name) return refuse('wrong_task', `task ${query.payload.task}`)
    if (!budgets.take(query.hotkey, Date.now())) return refuse('rate_limit_validator', `${query.hotkey} is over ${perMinute} queries/min`)
    let input: unknown
    try {
      input = task.parseInput(query.payload.input)
    } catch (err) {
      return refuse('bad_input', (err as Error).message)
    }
    inFlight++
    try {
      const started = performance.now()
      let answer: Record<string, unknown>
      try {
        answer = (await task.answer(runner, input)) as Record<string, unknown>
      } finally {
        options.budget?.record(started, performance.now())
      }
      stats.queriesAnswered++
      stats.lastAnswerMs = Math.round(performance.now() - started)
      changed()
      return seal(mesh, signer, manifest.netuid, 'response', { queryId: query.payload.id, validator: query.hotkey, answer })
    } finally {
      inFlight--
    }
  }

  /**
   * An ask: served only while no validator query is in progress, one at a time, within the
   * policy's budgets, and with a sampling seed drawn here (see subnet/ask.ts for why).
   */
  const serveAsk = async (bytes: Uint8Array, fromPeer: string): Promise<Uint8Array> => {
    if (!running) return refuseAsk('ask_stopped', 'miner is stopped')
    if (!askPolicy.enabled) return refuseAsk('ask_not_offered', askPolicy.reason ?? 'asks are off')
    if (options.paused?.() === true) return refuseAsk('ask_paused', 'miner is paused')
    if (options.budget !== undefined && !options.budget.canStart(performance.now())) return refuseAsk('ask_throttled', 'miner is over its share of busy time')
    if (asking) return refuseAsk('ask_busy', 'answering another ask')
    let ask: Envelope<'ask'>
    try {
      ask = askDoor.open(bytes, 'ask', fromPeer)
    } catch (err) {
      const code = (err as ExchangeError).code
      // A token comes back within one period of the sustained rate.
      const perAskerWait = code === 'rate_limit_peer' || code === 'rate_limit_hotkey' ? 60_000 / askPolicy.perAskerPerMinute : undefined
      return refuseAsk(`ask_${code}`, (err as Error).message, perAskerWait)
    }
    if (ask.payload.miner !== hotkey) return refuseAsk('ask_not_for_me', `ask for ${ask.payload.miner}`)
    if (ask.payload.prompt.length > askPolicy.maxPromptChars) return refuseAsk('ask_too_long', `prompt over ${askPolicy.maxPromptChars} characters`)
    if (!askTotal.take('all', Date.now())) return refuseAsk('ask_rate_limit_total', `over ${askPolicy.perMinute} asks/min in all`, 60_000 / askPolicy.perMinute)
    // Not counted in `inFlight`: a validator's query arriving now is still served. Validators
    // come first: the ask waits (a while) until no query is in progress.
    asking = true
    try {
      const waitUntil = Date.now() + ASK_WAIT_MS
      while (inFlight > 0 && running) {
        if (Date.now() > waitUntil) return refuseAsk('ask_busy', 'validators kept this miner busy')
        await new Promise((r) => setTimeout(r, 25))
      }
      const t = manifest.task
      const greedy = t.name !== 'text-generation' || t.temperature === 0
      const started = performance.now()
      let out: Awaited<ReturnType<typeof runner.generate>>
      try {
        out = await runner.generate({
          prompt: ask.payload.prompt,
          maxNewTokens: Math.min(ask.payload.maxNewTokens, askPolicy.maxNewTokens),
          greedy,
          temperature: t.name === 'text-generation' && !greedy ? t.temperature : 1,
          seed: randomSeed(),
          topK: 0,
        })
      } finally {
        options.budget?.record(started, performance.now())
      }
      stats.asksAnswered++
      changed()
      return seal(mesh, signer, manifest.netuid, 'answer', { askId: ask.payload.id, asker: ask.hotkey, text: out.text, tokens: out.tokenIds.length })
    } finally {
      asking = false
    }
  }

  const onEpoch = (e: EpochResult): void => {
    const uid = chain.uidOf(hotkey)
    if (uid === undefined) return
    stats.epoch = e.epoch
    stats.incentive = (e.incentive[uid] ?? 0) / U16_MAX
    stats.dividends = (e.dividends[uid] ?? 0) / U16_MAX
    changed()
  }

  // A validator must reach this miner to query it, and a Node validator cannot dial a browser:
  // the miner links to every permitted validator it hears announce itself.
  const onAnnounce = (msg: Envelope<'announce'>): void => {
    if (msg.payload.role !== 'validator' || !isPermittedValidator(msg.hotkey)) return
    mesh.connect(msg.peerId).catch((err: unknown) => log(`miner: no link to validator ${msg.hotkey}: ${String(err)}`))
  }

  const onWeights = (msg: Envelope<'weights'>): void => {
    const uid = chain.uidOf(hotkey)
    if (uid === undefined) return
    // Anyone can gossip a weights message; only a permitted validator's counts as a score.
    if (!isPermittedValidator(msg.hotkey)) return
    const at = msg.payload.uids.indexOf(uid)
    stats.lastScore = at === -1 ? 0 : msg.payload.weights[at]! / U16_MAX
    changed()
  }

  return {
    stats: () => ({ ...stats, queriesRefused: { ...stats.queriesRefused } }),
    onUpdate(handler) {
      handlers.add(handler)
      return () => handlers.delete(handler)
    },
    async start() {
      running = true
      unhandle = await mesh.handle(QUERY_REQUEST, serve)
      unhandleAsk = await mesh.handle(ASK_REQUEST, serveAsk)
      unsubscribe.push(
        mesh.subscribe('weights', onWeights),
        mesh.subscribe('announce', onAnnounce),
        chain.onEpoch(onEpoch),
        chain.onMetagraph(() => {
          const uid = chain.uidOf(hotkey) ?? null
          if (uid !== stats.uid) {
            stats.uid = uid
            changed()
          }
          ensureRegistered()
        }),
      )
      announce()
      ensureRegistered()
    },
    async stop() {
      running = false
      registering?.abort()
      registering = null
      clearTimeout(announceTimer)
      for (const u of unsubscribe.splice(0)) u()
      await unhandle?.().catch(() => {})
      await unhandleAsk?.().catch(() => {})
      unhandle = unhandleAsk = undefined
    },
  }
}

/** A u32 sampling seed nobody else chose. */
function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!
}

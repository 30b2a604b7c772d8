import type { ChainClient, EpochResult, Metagraph } from '../chain/index.ts'
import { createHttpChainClient } from '../chain/http-chain-client.ts'
import type { Hotkey } from '../identity/identity.ts'
import { LogFollower } from '../chain/log-follower.ts'
import { createLogVerifierWorker } from '../chain/log-verifier-worker.ts'
import type { VerifierUpdate } from '../chain/log-verifier.ts'
import { createWorkerSolver } from '../chain/pow-worker.ts'
import { loadModelInWorker, type ModelRunner } from '../inference/index.ts'
import { loadOrCreateHotkey, type SecretStore } from '../identity/identity.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'
import { createMinerNode, type MinerNode, type MinerStats, type RegistrationProgress } from '../node/miner.ts'
import { createValidatorNode, type ValidatorNode, type ValidatorStats } from '../node/validator.ts'
import { joinSubnet } from '../node/join.ts'
import { BusyBudget } from '../node/busy-budget.ts'
import { WebtensorError } from '../errors.ts'
import type { IceServer } from '../p2p/index.ts'
import { U16_MAX } from '../scoring/weights.ts'
import { MeshWatch, verdictFor, VerifiedLog } from './log-check.ts'
import type { RewardHistory, RewardRecord } from './reward-history.ts'

/** What `/api/config` of a webtensor server returns. */
export interface ServerConfig {
  netuid: number
  relay: string[]
  /** STUN/TURN servers for WebRTC (absent from older servers). */
  iceServers?: IceServer[]
  manifest: SubnetManifest
  models: { localModelPath: string; wasmPaths: string }
  /** Present when the subnet runs on subtensor (`start --chain`): pages read the chain at `state`. */
  chain?: { kind: 'subtensor'; netuid: number; url: string; state: string }
}

export interface NeuronRow {
  uid: number
  hotkey: string
  stake: string
  validatorPermit: boolean
  incentive: number
  dividends: number
}

export interface SessionState {
  phase: 'idle' | 'starting' | 'loading-model' | 'joining' | 'mining' | 'validating' | 'error'
  /** The role this page plays, and why (a validator permit on the chain decides). */
  role: 'miner' | 'validator' | null
  roleReason: string | null
  /** When validating: what this page's validator has sent, verified and scored. */
  validator: Pick<ValidatorStats, 'queriesSent' | 'answersVerified' | 'verdicts' | 'failures' | 'scores' | 'weightsSet'> | null
  error: string | null
  hotkey: string | null
  device: string | null
  deviceReason: string | null
  /** Model download/load progress, 0..1. */
  progress: number
  progressFile: string | null
  peers: number
  uid: number | null
  queriesAnswered: number
  /** Queries the miner refused, by reason (`paused`, `throttled`, `busy`, …). */
  queriesRefused: Record<string, number>
  lastScore: number | null
  incentive: number | null
  dividends: number | null
  epoch: number | null
  block: number | null
  /** The miner's proof-of-work registration while it runs (null for a validator). */
  registration: RegistrationProgress | null
  /**
   * The page's own check of the latest epoch against the owner's signed log (re-derived in its
   * verifier worker) and the mesh; `epoch` is null for a log that failed before any epoch gossip.
   */
  /** ok: true verified here, false refused here, null shown as the chain stored it (not checked here). */
  verified: { epoch: number | null; ok: boolean | null; detail: string } | null
  /** The last log entry the page verified (null before the first read). */
  logHead: { seq: number; block: number } | null
  /** This hotkey's verified rewards on the current chain (kept in IndexedDB across reloads). */
  rewards: { hotkey: string; genesis: string | null; records: RewardRecord[] } | null
  neurons: NeuronRow[]
}

export const initialState: SessionState = {
  phase: 'idle', role: null, roleReason: null, validator: null, error: null, hotkey: null, device: null, deviceReason: null, progress: 0, progressFile: null, peers: 0,
  uid: null, queriesAnswered: 0, queriesRefused: {}, lastScore: null, incentive: null, dividends: null, epoch: null, block: null, registration: null, verified: null, logHead: null, rewards: null, neurons: [],
}

export interface MiningSession {
  /** Stops everything the session started: the role, the mesh, the model worker, the verifier worker. */
  stop(): Promise<void>
  /** While paused the role runs no model: the miner refuses queries (`paused`), the validator starts no query round; the mesh stays up. */
  setPaused(paused: boolean): void
  /** Changes the share of time the model may run, in (0, 1], from now on (1: no limit). */
  setThrottle(share: number): void
}

/** The session could not start: no config at the server (`no_config`), another subnet (`wrong_netuid`), or stopped while starting (`aborted`). */
export class SessionStartError extends WebtensorError {
  override name = 'SessionStartError'
}

export interface MiningSessionOptions {
  /** The webtensor server's origin (the page's own, or another for the embedded widget). */
  origin: string
  store: SecretStore
  onState: (patch: Partial<SessionState>) => void
  history?: RewardHistory | null
  /** The share of time the model may run, in (0, 1] (default 1: whenever a validator asks). */
  throttle?: number
  /** The subnet the caller expects: a server that serves another one is refused (`wrong_netuid`). */
  netuid?: number
  /** Start paused (e.g. a hidden tab); `setPaused` changes it later. */
  paused?: boolean
  /** Aborting stops the start where it is and undoes what it started (the start rejects, code `aborted`). */
  signal?: AbortSignal
  /** Each verifier update (with every uid's values per epoch: the dashboard half of the page plots them). */
  onLog?: (u: VerifierUpdate) => void
}

/** The first metagraph the owner publishes after joining, or null after `timeoutMs`. */
function firstMetagraph(chain: ChainClient, timeoutMs: number): Promise<Metagraph | null> {
  const now = chain.metagraph()
  if (now !== null) return Promise.resolve(now)
  return new Promise((resolve) => {
    const timer = setTimeout(() => (off(), resolve(null)), timeoutMs)
    const off = chain.onMetagraph((m) => {
      clearTimeout(timer)
      off()
      resolve(m)
    })
  })
}

/** Where the owner's web server serves its signed chain log. */
export const LOG_PATH = '/chain/log.jsonl'

/**
 * Everything that "Start mining" does, in order: the hotkey (kept in `store` across reloads), the
 * model in its worker (WebGPU when a real adapter exists, else WASM), the mesh through the relay,
 * the role the chain gives the hotkey (validator with a permit, else miner, which registers by
 * proof of work in a worker), and the check of each epoch: re-derived from the owner's signed log
 * in the verifier worker, without trusting the server, and compared with the gossip and with
 * what this page saw on the mesh. Verified rewards go to `history`.
 */
export async function startMiningSession(options: MiningSessionOptions): Promise<MiningSession> {
  const started: (() => unknown)[] = []
  try {
    return await runSession(options, started)
  } catch (err) {
    // A start that failed or was aborted undoes what it had started, newest first.
    for (const undo of started.splice(0).reverse()) await Promise.resolve().then(undo).catch((e: unknown) => console.warn('webtensor: undoing the start:', e))
    throw err
  }
}

/** The body of `startMiningSession`; pushes onto `started` how to undo each thing it starts. */
async function runSession(options: MiningSessionOptions, started: (() => unknown)[]): Promise<MiningSession> {
  const { onState } = options
  const history = options.history ?? null
  let paused = options.paused ?? false
  // Always a budget (a share of 1 costs nothing) so a host page can lower the throttle later.
  const budget = new BusyBudget(options.throttle ?? 1, performance.now())
  const checkpoint = (): void => {
    if (options.signal?.aborted === true) throw new SessionStartError('stopped before mining started', { code: 'aborted' })
  }
  onState({ phase: 'starting', error: null })
  const configUrl = new URL('/api/config', options.origin)
  const response = await fetch(configUrl)
  if (!response.ok) throw new SessionStartError(`${configUrl.href} answered ${response.status}: is this a webtensor server?`, { code: 'no_config' })
  const config = (await response.json()) as ServerConfig
  const { manifest } = config
  if (options.netuid !== undefined && options.netuid !== config.netuid) {
    throw new SessionStartError(`the server at ${options.origin} serves subnet ${config.netuid}, not ${options.netuid}`, { code: 'wrong_netuid' })
  }
  const hotkey = await loadOrCreateHotkey(options.store)
  checkpoint()
  onState({ hotkey: hotkey.address, phase: 'loading-model' })
  const showRewards = async (): Promise<void> => {
    if (history !== null) onState({ rewards: { hotkey: hotkey.address, ...(await history.list(hotkey.address)) } })
  }
  await showRewards().catch((err: unknown) => console.warn('reward history unavailable:', err))

  const runner: ModelRunner = await loadModelInWorker({
    modelId: manifest.model.id,
    localModelPath: new URL(config.models.localModelPath, options.origin).href,
    wasmPaths: new URL(config.models.wasmPaths, options.origin).href,
    allowRemote: manifest.model.source === 'hub',
    ...(manifest.model.remoteHost === undefined ? {} : { remoteHost: manifest.model.remoteHost }),
    ...(manifest.model.integrity === null ? {} : { integrity: manifest.model.integrity }),
    dtype: manifest.model.dtype,
    device: 'auto',
    // WASM threads chosen by timing 1 and 2 on first use (remembered per model and dtype).
    numThreads: 'auto',
    onProgress: (p) => onState({ progress: p.progress, progressFile: p.file }),
  })
  started.push(() => runner.dispose())
  checkpoint()
  const deviceLine = (): string => {
    const t = runner.threads
    return runner.device === 'wasm' && t ? `${runner.deviceReason}; ${t.numThreads} WASM thread${t.numThreads === 1 ? '' : 's'} (${t.reason})` : runner.deviceReason
  }
  onState({ device: runner.device, deviceReason: deviceLine(), progress: 1, phase: 'joining' })
  // A first visit mines with 1 thread while 2 are timed in the background; the line follows the choice.
  void runner.threadsSettled?.then(() => onState({ deviceReason: deviceLine() }))

  const minerUpdate = (s: MinerStats): void => onState({ uid: s.uid, queriesAnswered: s.queriesAnswered, queriesRefused: s.queriesRefused, lastScore: s.lastScore, incentive: s.incentive, dividends: s.dividends, epoch: s.epoch, registration: s.registration })
  if (config.chain?.kind === 'subtensor') {
    return runOnSubtensor({ ...options, config: { ...config, chain: config.chain }, hotkey, runner, budget, isPaused: () => paused, setPaused: (p) => (paused = p), started, checkpoint, minerUpdate })
  }
  // The relay's address decides whether private addresses may be dialled (only on a local subnet).
  const { mesh, chain } = await joinSubnet({ manifest, signer: hotkey, bootstrap: config.relay, iceServers: config.iceServers ?? [] })
  started.push(() => mesh.stop())
  checkpoint()
  // Diagnostics (devtools, tests) can reach the live mesh: addEventListener('webtensor:mesh', (e) => e.detail).
  globalThis.dispatchEvent(new CustomEvent('webtensor:mesh', { detail: mesh }))
  mesh.onStats((s) => onState({ peers: s.peers }))
  onState({ peers: mesh.stats().peers })
  // The chain decides the role: a hotkey with a validator permit validates, any other mines.
  const first = await firstMetagraph(chain, manifest.chain.blockTimeMs * 10 + 10_000)
  checkpoint()
  const self = first?.neurons.find((n) => n.hotkey === hotkey.address)
  let role: MinerNode | ValidatorNode
  if (self?.validatorPermit === true) {
    onState({ role: 'validator', roleReason: `this hotkey is uid ${self.uid} with a validator permit (stake ${self.stake} rao): it queries miners and sets weights`, uid: self.uid })
    const validator = createValidatorNode({ manifest, mesh, chain, runner, signer: hotkey, agent: `webtensor-browser (${runner.device})`, paused: () => paused })
    const timer = setInterval(() => {
      const s = validator.stats()
      onState({ validator: { queriesSent: s.queriesSent, answersVerified: s.answersVerified, verdicts: s.verdicts, failures: s.failures, scores: s.scores, weightsSet: s.weightsSet } })
    }, 1000)
    started.push(() => (clearInterval(timer), validator.stop()))
    await validator.start()
    role = { ...validator, stop: async () => (clearInterval(timer), validator.stop()) }
    onState({ phase: 'validating', peers: mesh.stats().peers })
  } else {
    onState({
      role: 'miner',
      roleReason: first === null ? 'no metagraph from the subnet owner yet: this page mines (a validator permit is only seen in a metagraph)' : 'this hotkey holds no validator permit: it answers validators\' queries',
    })
    // The registration's proof of work runs in a worker: the page stays smooth while it hashes.
    const solver = createWorkerSolver()
    const miner = createMinerNode({ manifest, mesh, chain, runner, signer: hotkey, agent: `webtensor-browser (${runner.device})`, solver, paused: () => paused, budget })
    miner.onUpdate(minerUpdate)
    started.push(async () => (await miner.stop(), solver.dispose()))
    await miner.start()
    role = { ...miner, stop: async () => (await miner.stop(), solver.dispose()) }
    onState({ phase: 'mining', peers: mesh.stats().peers })
  }

  let metagraph: Metagraph | null = null
  let epoch: EpochResult | null = null
  const table = (): NeuronRow[] => neuronRows(metagraph, epoch)
  chain.onMetagraph((m) => {
    metagraph = m
    onState({ block: m.block, neurons: table() })
  })

  // The owner's signed log, verified in a worker, fetched piece by piece (only what is new).
  const verifier = createLogVerifierWorker()
  started.push(() => verifier.terminate())
  const verifierOptions = { ownerHotkey: manifest.owner.hotkey, watch: hotkey.address, detail: true }
  await verifier.start(verifierOptions)
  checkpoint()
  let log = new VerifiedLog()
  const follower = new LogFollower({
    url: new URL(LOG_PATH, options.origin),
    sink: {
      reset: async () => {
        log = new VerifiedLog()
        await verifier.start(verifierOptions)
      },
      push: (text) => verifier.push(text),
    },
  })
  // Every weight message this page receives must reach the owner's log.
  const meshWatch = new MeshWatch()
  const unsubscribe = (['weights', 'commit', 'reveal'] as const).map((kind) =>
    mesh.subscribe(kind, (msg, signed) => {
      const m = chain.metagraph()
      if (m !== null) meshWatch.see(kind, msg.hotkey, signed.body, m.block, m.chain.session)
    }),
  )

  const recordRewards = async (u: VerifierUpdate): Promise<void> => {
    const genesis = u.genesis
    if (history === null || genesis === null) return
    const records = u.epochs.flatMap((e): RewardRecord[] =>
      e.mine === null ? [] : [{ hotkey: hotkey.address, genesis, epoch: e.epoch, block: e.block, seq: e.seq, uid: e.mine.uid, incentive: e.mine.incentive, dividends: e.mine.dividends, digest: e.digest }],
    )
    if (records.length === 0) return
    await history.add(records)
    await showRewards()
  }
  const syncLog = async (): Promise<void> => {
    const r = await follower.sync()
    for (const u of r.updates) {
      log.apply(u)
      options.onLog?.(u)
      await recordRewards(u).catch((err: unknown) => console.warn('reward history: not saved:', err))
    }
    onState({ logHead: log.head.seq < 0 ? null : { seq: log.head.seq, block: log.head.block } })
  }
  // One read of the log at a time, in the order asked.
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task)
    queue = next.catch(() => undefined)
    return next
  }
  const unreadable = (err: unknown): string => `the owner's log could not be read: ${err instanceof Error ? err.message : String(err)}`

  // A chain that restarted from a new genesis is followed from its first entry (once per genesis).
  let restartedFor: string | null = null
  async function verifyEpoch(e: EpochResult): Promise<NonNullable<SessionState['verified']>> {
    if (log.genesis !== null && e.chain.genesis !== log.genesis && restartedFor !== e.chain.genesis) {
      restartedFor = e.chain.genesis
      await follower.restart()
    }
    // A log that does not verify stays that way: nothing more to fetch.
    if (log.divergence === null) await syncLog()
    // The owner writes the entry before it gossips the epoch; a slow disk or proxy gets a second try.
    if (log.divergence === null && log.head.seq < e.logSeq) {
      await new Promise((r) => setTimeout(r, 1000))
      await syncLog()
    }
    return verdictFor(e, log, meshWatch.settle(log, chain.metagraph()?.chain.session ?? e.chain.session))
  }

  chain.onEpoch((e) => {
    epoch = e
    onState({ neurons: table() })
    const heard = performance.now()
    serial(() => verifyEpoch(e)).then(
      (v) => {
        onState({ verified: v })
        // How long from the gossip to the page's own verdict (devtools and tests read it).
        if (v.ok) console.info(`webtensor:verify-ms ${Math.round(performance.now() - heard)}`)
      },
      (err: unknown) => onState({ verified: { epoch: e.epoch, ok: false, detail: unreadable(err) } }),
    )
  })

  // The whole log once at start: the reward history fills in, and a log that does not verify says
  // so at once. No log to read (a bare relay has no owner) is said only when an epoch comes.
  serial(syncLog).then(
    () => {
      const d = log.divergence
      if (d !== null) onState({ verified: { epoch: null, ok: false, detail: `the log does not verify at entry ${d.seq} (${d.reason}): ${d.detail}` } })
    },
    (err: unknown) => console.warn(unreadable(err)),
  )

  return {
    setPaused(p) {
      paused = p
    },
    setThrottle(share) {
      budget.setShare(share, performance.now())
    },
    async stop() {
      for (const u of unsubscribe) u()
      await role.stop()
      await mesh.stop()
      await runner.dispose()
      verifier.terminate()
    },
  }
}

/** The metagraph table's rows: each neuron with the latest epoch's incentive and dividends. */
function neuronRows(metagraph: Metagraph | null, epoch: EpochResult | null): NeuronRow[] {
  return (metagraph?.neurons ?? []).map((n) => ({
    uid: n.uid,
    hotkey: n.hotkey,
    stake: n.stake,
    validatorPermit: n.validatorPermit,
    incentive: (epoch?.incentive[n.uid] ?? 0) / U16_MAX,
    dividends: (epoch?.dividends[n.uid] ?? 0) / U16_MAX,
  }))
}

/**
 * The session on a subnet that runs on subtensor (`webtensor start --chain`): the chain is read
 * through the server (`/api/chain/state`), there is no owner log to verify, and the page mines once
 * its hotkey holds a uid — registration is a coldkey's `burned_register`, which a page has no
 * coldkey for, so the page says how to do it and waits.
 */
async function runOnSubtensor(ctx: MiningSessionOptions & {
  config: ServerConfig & { chain: NonNullable<ServerConfig['chain']> }
  hotkey: Hotkey
  runner: ModelRunner
  budget: BusyBudget
  isPaused: () => boolean
  setPaused: (p: boolean) => void
  started: (() => unknown)[]
  checkpoint: () => void
  minerUpdate: (s: MinerStats) => void
}): Promise<MiningSession> {
  const { config, hotkey, runner, budget, onState, started } = ctx
  const { manifest } = config
  const view = config.chain
  const chain = createHttpChainClient({ url: new URL(view.state, ctx.origin), log: (l) => console.warn(`webtensor: ${l}`) })
  started.push(() => chain.close())
  await chain.refresh()
  const { mesh } = await joinSubnet({ manifest, signer: hotkey, bootstrap: config.relay, iceServers: config.iceServers ?? [], chain })
  started.push(() => mesh.stop())
  ctx.checkpoint()
  globalThis.dispatchEvent(new CustomEvent('webtensor:mesh', { detail: mesh }))
  mesh.onStats((s) => onState({ peers: s.peers }))
  const register = `npx webtensor wallet register --chain ${view.url} --netuid ${view.netuid} --hotkey-ss58 ${hotkey.address}`
  onState({
    role: 'miner',
    roleReason: `subnet ${view.netuid} runs on subtensor (${view.url}): this page mines once its hotkey has a uid there; a coldkey registers it with ${register}`,
  })
  const miner = createMinerNode({ manifest, mesh, chain, runner, signer: hotkey, agent: `webtensor-browser (${runner.device})`, paused: ctx.isPaused, budget, registration: 'external' })
  miner.onUpdate(ctx.minerUpdate)
  started.push(() => miner.stop())
  await miner.start()
  onState({ phase: 'mining', peers: mesh.stats().peers })

  let metagraph: Metagraph | null = chain.metagraph()
  let epoch: EpochResult | null = chain.latestEpoch()
  onState({ block: metagraph?.block ?? null, neurons: neuronRows(metagraph, epoch) })
  chain.onMetagraph((m) => {
    metagraph = m
    onState({ block: m.block, neurons: neuronRows(metagraph, epoch) })
  })
  chain.onEpoch((e) => {
    epoch = e
    onState({
      neurons: neuronRows(metagraph, epoch),
      verified: { epoch: e.epoch, ok: null, detail: `rewards as subtensor stored them at block ${e.block}, read through this server (not re-derived in this page: verify them with npx webtensor verify --chain)` },
    })
  })
  return {
    setPaused: ctx.setPaused,
    setThrottle(share) {
      budget.setShare(share, performance.now())
    },
    async stop() {
      await miner.stop()
      await mesh.stop()
      await chain.close()
      await runner.dispose()
    },
  }
}

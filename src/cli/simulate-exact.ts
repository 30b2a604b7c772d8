/**
 * Exact mode of `webtensor simulate`: the scenario's cast as real peers — a relay, the owner with
 * the local chain (fast blocks, exact Yuma), validators and miners on onnxruntime-node, each its
 * own libp2p peer with its own hotkey, and tab peers (pages of the web app in headless Chromium) —
 * and the figures read from the owner's epochs. `runExact` is the coordinator of every exact run:
 * one process (shard 0/1, the whole cast here), `--serve` (with the join endpoint, and workers
 * running the other shards: `runJoin`), and tabs. The I/O edge of `src/simulate` (which stays
 * pure): it reports through the same FigureBook as math mode.
 */
import { mkdtempSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileLogStore } from '../chain/log-file.ts'
import { createRelay } from '../p2p/index.ts'
import { FigureBook, type HolderFigures } from '../simulate/figures.ts'
import { churnOnline, type MathProgress } from '../simulate/math.ts'
import { Rng } from '../simulate/rng.ts'
import type { SimulationResult, TabFigures } from '../simulate/run.ts'
import { isMinerBehaviour, type Behaviour, type Scenario } from '../simulate/scenario.ts'
import { JOIN_TOKEN_ENV, parseWorkerReport, shardOfPeer, shardPeers, type CoordinatorPhase, type CoordinatorReply, type MinerAddress, type Shard, type ValidatorReport, type WorkerReport } from '../simulate/shard.ts'
import type { EpochResult } from '../chain/index.ts'
import { castManifest, castOf, holdsUid, startShard, type CastMember } from './simulate-cast.ts'
import { createPartition, faultGaps, faultNotes, partitionAt, relayHolder, relayRestartsAt, SERVE_FAULTS } from './simulate-faults.ts'
import { checkForgery, epochForger, forgedEpochOf } from './simulate-forge.ts'
import { isSybil, startSybilFlood } from './simulate-sybil.ts'
import { createJoinServer, scenarioFingerprint, WORKER_SILENCE_MS } from './simulate-serve.ts'
import type { TabRuntime } from './simulate-tabs.ts'
import { chainDir, startOwner, startRelayStack } from './stack.ts'

/** What exact mode runs in this build; the rest is named in the refusal. */
export const EXACT_BEHAVIOURS: ReadonlySet<Behaviour> = new Set<Behaviour>([
  'honest-miner', 'answer-table', 'copier', 'different-model', 'invented-logprobs', 'slow', 'flaky', 'churn',
  'honest-validator', 'random-weights', 'weight-copier', 'query-flooder', 'sybil-flood', 'owner-forges-epoch',
])

/**
 * Why this scenario cannot run in exact mode here with this sharding (empty when it can).
 * @example exactModeGaps(scenario) // ['task text-embedding (the adversaries are text-generation ones)']
 */
export function exactModeGaps(scenario: Scenario, shard: Shard = { index: 0, count: 1 }): string[] {
  const gaps: string[] = []
  scenario.cast.forEach((g, i) => {
    if (g.count > 0 && !EXACT_BEHAVIOURS.has(g.behaviour)) gaps.push(`cast[${i}] ${g.behaviour}`)
  })
  scenario.faults.forEach((f, i) => {
    if (!SERVE_FAULTS.has(f.kind)) gaps.push(`faults[${i}] ${f.kind}`)
  })
  gaps.push(...faultGaps(scenario, shard))
  // A tab's mesh has no partition gate: it would bridge the groups.
  if (scenario.faults.some((f) => f.kind === 'partition') && scenario.cast.some((g) => g.in === 'tab' && g.count > 0)) gaps.push('a partition with tab peers (their meshes are outside the partition and would bridge it)')
  if (scenario.manifest.task.name !== 'text-generation') gaps.push(`task ${scenario.manifest.task.name} (the adversaries are text-generation ones)`)
  return gaps
}

export interface ExactOptions {
  /** Where the relay, servers and peers listen (default 127.0.0.1). */
  host?: string
  /** Web server port (0: any free one). */
  port?: number
  /** Be a coordinator others can join (`--serve`): the join endpoint runs even for shard 0/1. */
  serve?: boolean
  /** Join endpoint port (0: any free one). */
  joinPort?: number
  /** The coordinator's own shard (default 0/1: the whole cast, no workers). */
  shard?: Shard
  /** The scenario and flags a worker must repeat, for the command line printed for it (default: the scenario's name). */
  workerArgs?: string
  /** The join token (default: random); written to `tokenFile` (mode 600) when given. */
  token?: string
  tokenFile?: string
  modelsDir: string
  /** How long to wait for every worker's first report and every peer's registration (ms). */
  joinTimeoutMs?: number
  /** Chromium for tab peers (default CHROMIUM_PATH, else /usr/bin/chromium). */
  chromiumPath?: string
  onEpoch?: (p: MathProgress) => void
  onStatus?: (line: string) => void
  log?: (line: string) => void
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Waits until `done()` holds, polling; throws `message()` after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs: number, message: () => string, also?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    also?.()
    if (Date.now() > deadline) throw new Error(message())
    await sleep(100)
  }
}

/**
 * Runs the scenario with real peers and reads its figures from the owner's exact epochs: relay,
 * owner (and, for tabs or workers, the web server) here; the cast's Node peers spread over this
 * process's shard and the workers' (`runJoin`); the tab peers in this process's Chromium; the
 * figures through the same FigureBook as math mode.
 * @example const result = await runExact(scenario, { modelsDir: DEFAULT_MODELS_DIR })
 * @example const result = await runExact(scenario, { modelsDir, serve: true, shard: { index: 0, count: 2 } })
 */
export async function runExact(scenario: Scenario, options: ExactOptions): Promise<SimulationResult> {
  const gaps = exactModeGaps(scenario, options.shard)
  if (gaps.length > 0) throw new Error(`exact mode cannot run ${gaps.join(', ')} yet: run this scenario in math mode (--mode math)`)
  const host = options.host ?? '127.0.0.1'
  const log = options.log ?? ((): void => {})
  const status = options.onStatus ?? ((): void => {})
  const shard = options.shard ?? { index: 0, count: 1 }
  const joinTimeoutMs = options.joinTimeoutMs ?? 300_000
  const started = performance.now()
  const stoppers: (() => Promise<unknown>)[] = []
  const stopAll = async (): Promise<void> => {
    for (const s of stoppers.splice(0).reverse()) await s().catch(() => {})
  }
  try {
    const cast = await castOf(scenario)
    const manifest = castManifest(scenario, cast)
    const fingerprint = scenarioFingerprint(scenario)
    const tabPeers = cast.filter((c) => c.host === 'tab').map((c) => c.peer)
    const joinable = options.serve === true || shard.count > 1
    // The web server (the app tabs open, its signed chain log) only when tabs or workers need it.
    const stateDir = mkdtempSync(join(tmpdir(), 'wt-simulate-'))
    let bootstrap: string[]
    let webUrl: string | null = null
    let owner: Awaited<ReturnType<typeof startOwner>>
    // A forging owner, and the log verifier that must catch it (simulate-forge.ts).
    const forger = epochForger()
    const forgeAt = forgedEpochOf(scenario)
    const forge = forgeAt === null ? {} : { forge: forger.forge }
    let relay: ReturnType<typeof relayHolder>
    if (joinable || tabPeers.length > 0) {
      const stack = await startRelayStack({ host, port: options.port ?? 0, relayPort: 0, stateDir, modelsDir: options.modelsDir, manifest, log })
      relay = relayHolder(stack.relay, { host, stateDir })
      stoppers.push(() => relay.stop(), () => stack.server.stop())
      bootstrap = stack.bootstrap
      webUrl = stack.server.url
      owner = await startOwner({ manifest, bootstrap, host, log, store: fileLogStore(chainDir(stateDir)), ...forge })
    } else {
      const bare = await createRelay({ host, port: 0, keyFile: join(stateDir, 'relay.key') })
      await bare.start()
      relay = relayHolder(bare, { host, stateDir })
      stoppers.push(() => relay.stop())
      bootstrap = bare.multiaddrs
      // The forgery check reads the owner's log from disk.
      owner = await startOwner({ manifest, bootstrap, host, log, ...(forgeAt === null ? {} : { store: fileLogStore(chainDir(stateDir)) }), ...forge })
    }
    stoppers.push(() => owner.owner.stop(), () => owner.mesh.stop())
    const partition = createPartition()
    partition.attach(-1, owner.mesh)
    // The browser first: a missing playwright-core or Chromium is said before any peer starts.
    let tabs: TabRuntime | null = null
    if (tabPeers.length > 0) {
      const { startTabs } = await import('./simulate-tabs.ts')
      tabs = await startTabs({ cast, peers: tabPeers, url: webUrl!, log, ...(options.chromiumPath === undefined ? {} : { chromiumPath: options.chromiumPath }) })
      const t = tabs
      stoppers.push(() => t.stop())
      status(`simulate ${scenario.name} (exact): opening ${tabPeers.length} tabs of ${webUrl} in headless Chromium`)
    }

    // The workers' side: their latest reports, and what this coordinator tells them.
    // Query flooders start apart, and Sybil identities run here, outside the shards.
    const isFlooder = (p: number): boolean => cast[p]!.behaviour === 'query-flooder' || isSybil(cast[p]!)
    const wanted = new Set(cast.filter((c) => !isFlooder(c.peer)).map((c) => c.peer))
    const remote = new Map<number, { report: WorkerReport; at: number; polledAt: number }>()
    const remoteShards = Array.from({ length: shard.count }, (_, i) => i).filter((i) => i !== shard.index)
    let phase: CoordinatorPhase = 'starting'
    let floodTargets: MinerAddress[] = []
    // What Node peers report (tabs are this process's, and report through the browser).
    const validatorPeers = new Set(cast.filter((c) => c.behaviour === 'honest-validator' && c.host === 'node').map((c) => c.peer))
    const minerPeers = new Set(cast.filter((c) => isMinerBehaviour(c.behaviour) && c.host === 'node' && !isSybil(c)).map((c) => c.peer))
    const accept = (json: unknown): CoordinatorReply => {
      const report = parseWorkerReport(json, { fingerprint, shards: shard.count, ownShard: shard.index, castSize: cast.length, validatorPeers, minerPeers })
      const now = Date.now()
      const prev = remote.get(report.shard.index)
      if (prev === undefined || report.seq > prev.report.seq || report.seq === 0) remote.set(report.shard.index, { report, at: now, polledAt: now })
      else prev.polledAt = now
      return { phase, relay: bootstrap, alive: shardPeers(cast.length, report.shard).filter((p) => wanted.has(p)), miners: phase === 'starting' ? [] : floodTargets }
    }
    if (joinable) {
      const token = options.token ?? randomBytes(24).toString('base64url')
      const joinServer = createJoinServer(token, accept)
      await new Promise<void>((resolve, reject) => {
        joinServer.once('error', reject)
        joinServer.listen(options.joinPort ?? 0, host, () => resolve())
      })
      stoppers.push(() => new Promise<void>((resolve) => joinServer.close(() => resolve())))
      stoppers.push(async () => void joinServer.closeAllConnections())
      const joinUrl = `http://${host}:${(joinServer.address() as AddressInfo).port}`
      if (options.tokenFile !== undefined) await writeFile(options.tokenFile, `${token}\n`, { mode: 0o600 })
      status(`simulate ${scenario.name} (exact, coordinator): web app ${webUrl}, join endpoint ${joinUrl}`)
      if (remoteShards.length > 0) {
        const tokenHint = options.tokenFile === undefined ? `${JOIN_TOKEN_ENV}=<token>` : `${JOIN_TOKEN_ENV}=$(cat ${options.tokenFile})`
        for (const i of remoteShards) status(`simulate ${scenario.name}: waiting for shard ${i}/${shard.count}: ${tokenHint} webtensor simulate ${options.workerArgs ?? scenario.name} --exact --join ${joinUrl} --shard ${i}/${shard.count}`)
      }
    }

    // This process's shard of the Node peers, and every tab.
    const local = await startShard({ scenario, cast, manifest, shard, bootstrap, host, modelsDir: options.modelsDir, log, partition })
    stoppers.push(() => local.stop())
    const setLocalAlive = async (): Promise<void> => {
      await Promise.all([local.setAlive(new Set(local.peers.filter((p) => wanted.has(p)))), tabs?.setAlive(new Set(tabPeers.filter((p) => wanted.has(p))))])
    }
    // Starting a large cast takes minutes on a small machine: say how far it got every 15 s.
    const startedAt = Date.now()
    const starting = setInterval(() => {
      status(`simulate ${scenario.name} (exact): starting (${Math.round((Date.now() - startedAt) / 1000)} s): ${local.alive().size} of ${local.peers.filter((p) => wanted.has(p)).length} Node peers up${tabs === null ? '' : `, ${tabs.describe()}`}`)
    }, 15_000)
    try {
      await setLocalAlive()
    } finally {
      clearInterval(starting)
    }
    status(`simulate ${scenario.name} (exact): started ${local.peers.length} Node peers${tabs === null ? '' : ` and ${tabs.describe()}`} here; waiting for ${remoteShards.length > 0 ? 'the workers and ' : ''}every registration`)

    const workerError = (): void => {
      for (const [i, r] of remote) if (r.report.error !== undefined) throw new Error(`worker shard ${i}/${shard.count} failed: ${r.report.error}`)
    }
    /** Every shard's peers as last reported (this one's now). */
    const gather = (): { alive: Set<number>; digests: Map<number, Map<number, string>>; validators: ValidatorReport[]; miners: MinerAddress[] } => {
      const snaps = [local.snapshot(), ...(tabs === null ? [] : [{ ...tabs.snapshot(), validators: [], miners: [] }]), ...[...remote.values()].map((r) => r.report)]
      const alive = new Set<number>()
      const digests = new Map<number, Map<number, string>>()
      for (const s of snaps) {
        for (const p of s.peers) {
          if (p.alive) alive.add(p.peer)
          digests.set(p.peer, new Map(p.digests))
        }
      }
      return { alive, digests, validators: snaps.flatMap((s) => s.validators), miners: snaps.flatMap((s) => s.miners) }
    }

    await until(
      () => remoteShards.every((i) => remote.has(i)),
      joinTimeoutMs,
      () => `shards ${remoteShards.filter((i) => !remote.has(i)).join(', ')} of ${shard.count} did not join within ${joinTimeoutMs / 1000} s`,
      workerError,
    )
    const uidHolders = cast.filter((c) => holdsUid(c.behaviour) && !isSybil(c))
    const registered = (): CastMember[] => uidHolders.filter((c) => owner.owner.chain.uidOf(c.hotkey.address) !== undefined)
    let shownAt = Date.now()
    const registering = (): void => {
      workerError()
      if (Date.now() - shownAt < 15_000) return
      shownAt = Date.now()
      const tabsIn = registered().filter((c) => c.host === 'tab').length
      status(`simulate ${scenario.name} (exact): ${registered().length} of ${uidHolders.length} peers registered${tabPeers.length > 0 ? ` (${tabsIn} of ${tabPeers.length} tabs)` : ''}`)
    }
    await until(() => registered().length === uidHolders.length, joinTimeoutMs, () => `only ${registered().length} of ${uidHolders.length} peers registered within ${joinTimeoutMs / 1000} s${tabPeers.length > 0 ? ` (${registered().filter((c) => c.host === 'tab').length} of ${tabPeers.length} tabs)` : ''}`, registering)
    // Wait for the miners' addresses too (a worker reports them after its miners start).
    await until(() => gather().miners.length === minerPeers.size, 30_000, () => 'not every miner reported its address', workerError)
    floodTargets = gather().miners
    phase = 'running'
    await local.startFlooders(floodTargets)
    const flooders = cast.filter((c) => c.behaviour === 'query-flooder').length
    const sybils = await startSybilFlood({ scenario, cast, manifest, bootstrap, host, log, partition })
    stoppers.push(() => sybils.stop())
    let uidOwners = new Map(owner.owner.chain.metagraph().neurons.map((n) => [n.uid, n.hotkey]))
    status(`simulate ${scenario.name} (exact): ${uidHolders.length} peers registered over ${shard.count} shard(s); running ${scenario.epochs} epochs of ${scenario.tempo} blocks × ${scenario.blockTimeMs} ms`)

    const behaviours = [...new Set(cast.filter((c) => holdsUid(c.behaviour)).map((c) => c.behaviour))]
    const book = new FigureBook(cast.map((c) => c.behaviour), behaviours, scenario.expectations.map((e) => e.fromEpoch), true)
    const peerOf = new Map(cast.map((c) => [c.hotkey.address, c.peer]))
    const faultRng = Rng.stream(scenario.seed, 'faults')
    // Peer → the epoch it comes back after a kill (Infinity: killed for good).
    const down = new Map<number, number>()
    const wantedAt = (epoch: number): Set<number> =>
      new Set(cast.filter((c) => !isFlooder(c.peer) && (down.get(c.peer) ?? -1) <= epoch && (c.behaviour !== 'churn' || churnOnline(scenario.cast[c.group]!, c.member, epoch))).map((c) => c.peer))
    const ownerDigests = new Map<number, string>()
    const ownerLog: EpochResult[] = []
    const tabFigures: TabFigures | null =
      tabs === null ? null : { online: [], incentive: {}, dividends: {}, peers: tabPeers.map((p) => ({ peer: p, behaviour: cast[p]!.behaviour, hotkey: cast[p]!.hotkey.address, incentive: 0, dividends: 0 })) }
    const tabBehaviours = [...new Set(tabPeers.map((p) => cast[p]!.behaviour))]
    for (const b of tabBehaviours) {
      tabFigures!.incentive[b] = []
      tabFigures!.dividends[b] = []
    }
    let seen = owner.owner.epochs.length
    let lastRegistrations = owner.owner.stats().registrations
    let sentBefore = 0
    let verifiedBefore = 0
    const silent = (): void => {
      workerError()
      const now = Date.now()
      for (const [i, r] of remote) if (now - r.polledAt > WORKER_SILENCE_MS) throw new Error(`worker shard ${i}/${shard.count} stopped reporting`)
    }
    /** Sets which peers run, here and (at their next report) on the workers, and waits until they do. */
    const apply = async (what: string): Promise<void> => {
      await setLocalAlive()
      await until(
        () => {
          const alive = gather().alive
          return cast.every((c) => isFlooder(c.peer) || wanted.has(c.peer) === alive.has(c.peer))
        },
        120_000,
        () => {
          const alive = gather().alive
          const off = cast.filter((c) => !isFlooder(c.peer) && wanted.has(c.peer) !== alive.has(c.peer)).map((c) => `${c.peer}${c.host === 'tab' ? ' (tab)' : ''}`)
          return `the peers did not ${what} within 120 s (still wrong: ${off.join(', ')})`
        },
        silent,
      )
    }
    const epochTimeout = scenario.tempo * scenario.blockTimeMs * 4 + 30_000
    for (let epoch = 0; epoch < scenario.epochs; epoch++) {
      // Faults first, as in math mode and single-process exact mode: they act on this epoch.
      for (const f of scenario.faults) {
        if (f.atEpoch !== epoch || f.kind !== 'kill') continue
        const alive = cast.filter((c) => !isFlooder(c.peer) && wanted.has(c.peer)).map((c) => c.peer)
        const picked = faultRng.sample(alive.length, Math.round(f.share * alive.length)).map((k) => alive[k]!)
        for (const p of picked) down.set(p, f.forEpochs === null ? Infinity : epoch + f.forEpochs)
        status(`simulate ${scenario.name} (exact): epoch ${epoch + 1}: killed ${picked.length} peers (${picked.map((p) => `${p} on shard ${shardOfPeer(p, shard.count)}`).join(', ')})`)
      }
      for (let k = relayRestartsAt(scenario, epoch); k > 0; k--) {
        const { downMs } = await relay.restart(500)
        status(`simulate ${scenario.name} (exact): epoch ${epoch + 1}: relay restarted on the same address and key (down ${Math.round(downMs)} ms)`)
      }
      const split = partitionAt(scenario, epoch)
      if (split !== undefined) {
        const closed = await partition.set(split)
        status(`simulate ${scenario.name} (exact): epoch ${epoch + 1}: ${split === null ? 'partition healed' : `partitioned into ${split} groups (${closed} links closed)`}`)
      }
      if (epoch === forgeAt) forger.arm()
      sybils.epoch(epoch)
      // Then who runs this epoch: the killed stay down until their time; churners follow their cycle.
      const next = wantedAt(epoch)
      const changed = cast.filter((c) => wanted.has(c.peer) !== next.has(c.peer)).map((c) => c.peer)
      if (changed.length > 0) {
        wanted.clear()
        for (const p of next) wanted.add(p)
        await apply(`stop or restart peers ${changed.join(', ')}`)
        const away = changed.filter((p) => !next.has(p))
        const back = changed.filter((p) => next.has(p))
        status(`simulate ${scenario.name} (exact): epoch ${epoch + 1}: ${[away.length > 0 ? `down ${away.join(', ')}` : '', back.length > 0 ? `back ${back.join(', ')}` : ''].filter((x) => x !== '').join('; ')}`)
      }
      await until(() => owner.owner.epochs.length > seen, epochTimeout, () => `no epoch from the owner within ${epochTimeout} ms`, silent)
      seen = owner.owner.epochs.length
      const record = owner.owner.epochs[seen - 1]!
      const latest = owner.owner.latestEpoch()
      if (latest !== null) {
        ownerDigests.set(latest.epoch, latest.digest)
        ownerLog.push(latest)
      }
      const out = record.output
      const neurons = owner.owner.chain.metagraph().neurons
      const holders: HolderFigures[] = []
      for (const n of neurons) {
        const peer = peerOf.get(n.hotkey)
        if (peer === undefined || n.uid >= out.n) continue
        holders.push({ peer, incentive: out.incentive[n.uid]!, dividends: out.dividends[n.uid]!, emissionRao: Number(out.combined_emission[n.uid]), validatorTrust: out.validator_trust[n.uid]!, stake: out.stake[n.uid]! })
      }
      // Latency (median of each behaviour's latest answers) and delivery, from every shard's honest validators.
      const g = gather()
      const sent = g.validators.reduce((s, v) => s + v.sent, 0)
      const verified = g.validators.reduce((s, v) => s + v.verified, 0)
      const latencyTables = g.validators.map((v) => new Map(v.latency))
      const latencyMs: Record<string, number> = {}
      for (const b of behaviours.filter((x) => isMinerBehaviour(x))) {
        const xs: number[] = []
        for (const n of neurons) {
          const peer = peerOf.get(n.hotkey)
          if (peer === undefined || cast[peer]!.behaviour !== b) continue
          for (const t of latencyTables) if (t.has(n.uid)) xs.push(t.get(n.uid)!)
        }
        xs.sort((x, y) => x - y)
        latencyMs[b] = xs.length === 0 ? 0 : xs[Math.floor(xs.length / 2)]!
      }
      if (tabFigures !== null) {
        // The tabs' part of the epoch: shares of the holders' totals, as the FigureBook counts them.
        const totalI = holders.reduce((x, h) => x + h.incentive, 0)
        const totalD = holders.reduce((x, h) => x + h.dividends, 0)
        const byPeer = new Map(holders.map((h) => [h.peer, h]))
        for (const b of tabBehaviours) {
          tabFigures.incentive[b]!.push(0)
          tabFigures.dividends[b]!.push(0)
        }
        for (const t of tabFigures.peers) {
          const h = byPeer.get(t.peer)
          if (h === undefined) continue
          const i = totalI > 0 ? h.incentive / totalI : 0
          const d = totalD > 0 ? h.dividends / totalD : 0
          t.incentive += i / scenario.epochs
          t.dividends += d / scenario.epochs
          const is = tabFigures.incentive[t.behaviour]!
          const ds = tabFigures.dividends[t.behaviour]!
          is[is.length - 1]! += i
          ds[ds.length - 1]! += d
        }
        tabFigures.online.push(tabPeers.filter((p) => g.alive.has(p)).length)
      }
      const registrations = owner.owner.stats().registrations
      // A uid whose hotkey changed since the last epoch was pruned for a new registration.
      const pruned = neurons.filter((n) => uidOwners.has(n.uid) && uidOwners.get(n.uid) !== n.hotkey).length
      uidOwners = new Map(neurons.map((n) => [n.uid, n.hotkey]))
      const peersOnline = 1 + [...g.alive].filter((p) => !isFlooder(p)).length + flooders
      book.add({
        epoch,
        block: record.block,
        holders,
        registrations: registrations - lastRegistrations,
        pruned,
        peersOnline,
        latencyMs,
        delivery: sent > sentBefore ? (verified - verifiedBefore) / (sent - sentBefore) : 0,
      })
      lastRegistrations = registrations
      sentBefore = sent
      verifiedBefore = verified
      const online = { peers: peersOnline, tabs: tabPeers.filter((p) => g.alive.has(p)).length, tabsTotal: tabPeers.length }
      options.onEpoch?.({ run: 'base', runIndex: 0, runs: 1, epoch: epoch + 1, epochs: scenario.epochs, uids: neurons.length, online })
    }
    await sleep(500) // the last epoch's gossip reaches the peers
    // On a loaded machine it can take longer: wait (10 s at most) until every running Node peer has heard of it.
    const lastEpoch = Math.max(...ownerDigests.keys())
    await until(() => {
      const g = gather()
      return cast.every((c) => isFlooder(c.peer) || c.host !== 'node' || !g.alive.has(c.peer) || g.digests.get(c.peer)?.has(lastEpoch) === true)
    }, 10_000, () => 'late', silent).catch(() => {})
    // A report from every worker sent after this moment: their digests of the last epoch.
    const finalAt = Date.now()
    await until(() => remoteShards.every((i) => (remote.get(i)?.at ?? 0) > finalAt + 50), 30_000, () => 'the workers sent no final report', silent)
    const g = gather()
    const last = Math.max(...ownerDigests.keys())
    // Node peers' digests (a tab checks the owner's signed log itself, in its verifier worker).
    const survivors = cast.filter((c) => !isFlooder(c.peer) && c.host === 'node' && g.alive.has(c.peer))
    const digestsAgree = survivors.every((c) => {
      const d = g.digests.get(c.peer) ?? new Map<number, string>()
      return d.get(last) === ownerDigests.get(last) && [...d].every(([e, x]) => !ownerDigests.has(e) || ownerDigests.get(e) === x)
    })
    const logPath = join(chainDir(stateDir), 'log.jsonl')
    const forgery =
      forgeAt === null
        ? undefined
        : await checkForgery({ logPath, ownerHotkey: manifest.owner.hotkey, runEpoch: forgeAt, forged: ownerLog.find((e) => e.epoch === forger.forged()?.epoch), digests: survivors.map((c) => g.digests.get(c.peer) ?? new Map<number, string>()) })
    if (forgery !== undefined) status(`simulate ${scenario.name} (exact): forged epoch ${forgery.chainEpoch} at log entry ${forgery.seq} of ${logPath}: ${forgery.detected ? 'the log verifier stops there' : `NOT caught (${forgery.divergence === null ? 'the log verified' : `divergence at entry ${forgery.divergence.seq}`})`}; ${forgery.peersWithForged} of ${forgery.peersHeard} peers took it from gossip`)
    // Tell the workers it is over (they stop their peers and exit), then stop here.
    phase = 'done'
    const doneAt = Date.now()
    await until(() => remoteShards.every((i) => (remote.get(i)?.polledAt ?? 0) > doneAt), 10_000, () => 'done', undefined).catch(() => {})
    const wallMs = performance.now() - started
    return {
      scenario,
      mode: 'exact',
      runs: [
        {
          name: 'base',
          hyperparams: manifest.hyperparams,
          series: book.series,
          // As in math mode, a churner away at the end survived; a peer killed for good did not.
          peers: cast.map((c) => ({ behaviour: c.behaviour, group: c.group, survived: down.get(c.peer) !== Infinity })),
          windows: book.windows(),
          summary: book.summary(),
          digestsAgree,
          ...(forgery === undefined ? {} : { forgery }),
          tabs: tabFigures,
        },
      ],
      notes: [
        ...faultNotes(scenario, sybils.attempts(), book.series),
        `Exact mode${shard.count > 1 ? ` over ${shard.count} shards` : ''}: ${cast.length - tabPeers.length} real Node peers (onnxruntime-node, libp2p over WebSockets)${tabPeers.length > 0 ? ` and ${tabPeers.length} tabs (the web app's own session in headless Chromium: model in a worker, registration by proof of work, WebRTC through the relay)` : ''} on one relay, the coordinator's local chain running exact Yuma every ${scenario.tempo} blocks of ${scenario.blockTimeMs} ms${shard.count > 1 ? `; shard i runs cast peers i, i + ${shard.count}, … (the coordinator ran shard ${shard.index}${tabPeers.length > 0 ? ' and every tab' : ''})` : ''}.`,
        ...(tabPeers.length > 0 ? ['same-digests compares the Node peers; each tab checks the owner\'s signed log itself (re-deriving every epoch in its verifier worker).'] : []),
        'Miner quality is the real validators\' verdicts on real answers (the cast\'s quality ranges and validator noise are math-mode settings).',
        ...(scenario.variants.length > 0 ? [`Variants (${scenario.variants.map((v) => v.name).join(', ')}) run in math mode only: exact mode ran the base hyperparameters.`] : []),
      ],
      resources: { wallMs, epochsPerSecond: (scenario.epochs * 1000) / wallMs },
    }
  } finally {
    await stopAll()
  }
}

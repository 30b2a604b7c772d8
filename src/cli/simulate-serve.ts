/**
 * The coordinator of an exact simulation spread over processes or machines
 * (`webtensor simulate SCENARIO --exact --serve [--shard i/k]`): the relay, the web server and the
 * owner (the scenario's manifest, exact Yuma every tempo); its own shard of the cast (shard 0 of 1,
 * the whole cast, unless `--shard` says otherwise); a small authenticated HTTP endpoint where the
 * workers (`--join`) report their peers and pick up commands (which peers run: the fault
 * timeline); and the one report, from the owner's epochs and every shard's figures.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EpochResult } from '../chain/index.ts'
import { fileLogStore } from '../chain/log-file.ts'
import { FigureBook, type HolderFigures } from '../simulate/figures.ts'
import { churnOnline, type MathProgress } from '../simulate/math.ts'
import { Rng } from '../simulate/rng.ts'
import type { SimulationResult } from '../simulate/run.ts'
import { isMinerBehaviour, type Scenario } from '../simulate/scenario.ts'
import { JOIN_TOKEN_ENV, MAX_REPORT_BYTES, ShardError, parseWorkerReport, scenarioCanonical, shardOfPeer, shardPeers, type CoordinatorPhase, type CoordinatorReply, type MinerAddress, type Shard, type ValidatorReport, type WorkerReport } from '../simulate/shard.ts'
import { castManifest, castOf, holdsUid, startShard, type CastMember } from './simulate-cast.ts'
import { exactModeGaps } from './simulate-exact.ts'
import { createPartition, faultGaps, faultNotes, partitionAt, relayHolder, relayRestartsAt, SERVE_FAULTS } from './simulate-faults.ts'
import { checkForgery, epochForger, forgedEpochOf } from './simulate-forge.ts'
import { isSybil, startSybilFlood } from './simulate-sybil.ts'
import { chainDir, startOwner, startRelayStack } from './stack.ts'

/** How often a worker reports (ms). */
export const REPORT_INTERVAL_MS = 500

/** A worker silent this long during the run fails it. */
const WORKER_SILENCE_MS = 30_000

export interface ServeOptions {
  host?: string
  /** Web server port (0: any free one). */
  port?: number
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
  onEpoch?: (p: MathProgress) => void
  onStatus?: (line: string) => void
  log?: (line: string) => void
}

/** The scenario's fingerprint (hex sha256 of its canonical JSON): coordinator and workers must agree on it. */
/**
 * Why the coordinator cannot run this scenario (empty when it can): what single-process exact mode
 * cannot, less what the coordinator runs — `churn` (it stops and restarts the churners on their
 * schedule, as the fault timeline's kills), `sybil-flood`, `owner-forges-epoch`, `restart-relay`
 * and `partition` (simulate-sybil.ts, simulate-forge.ts, simulate-faults.ts) — and what
 * `faultGaps` says of this sharding.
 */
export function serveModeGaps(scenario: Scenario, shard: Shard = { index: 0, count: 1 }): string[] {
  return [...exactModeGaps(scenario).filter((g) => !/^cast\[\d+\] (churn|sybil-flood|owner-forges-epoch)$/.test(g) && !new RegExp(`^faults\\[\\d+\\] (${[...SERVE_FAULTS].join('|')})$`).test(g)), ...faultGaps(scenario, shard)]
}

export const scenarioFingerprint = (scenario: Scenario): string => createHash('sha256').update(scenarioCanonical(scenario)).digest('hex')

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
 * The join endpoint: `POST /simulate/report` with `Authorization: Bearer TOKEN` and a JSON worker
 * report of at most MAX_REPORT_BYTES. Anything else gets a 4xx; the token is compared in constant
 * time; the report is checked by `accept` (which throws `ShardError` for a bad one: 400).
 */
function createJoinServer(token: string, accept: (json: unknown) => CoordinatorReply): Server {
  const want = createHash('sha256').update(token).digest()
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' })
    res.end(text)
  }
  const server = createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 5_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const refuse = (status: number, error: string): void => {
      send(res, status, { error })
      req.resume()
    }
    if (req.url !== '/simulate/report') return refuse(404, 'not found')
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST')
      return refuse(405, 'method not allowed')
    }
    const auth = req.headers.authorization ?? ''
    const given = createHash('sha256').update(auth.startsWith('Bearer ') ? auth.slice(7) : '').digest()
    if (!timingSafeEqual(given, want)) return refuse(401, 'bad or missing join token')
    const length = Number(req.headers['content-length'])
    if (req.headers['transfer-encoding'] !== undefined || !Number.isSafeInteger(length)) return refuse(411, 'a Content-Length is required')
    if (length > MAX_REPORT_BYTES) {
      send(res, 413, { error: `a report is at most ${MAX_REPORT_BYTES} bytes` })
      req.destroy()
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > length) req.destroy()
      else chunks.push(c)
    })
    req.on('end', () => {
      let json: unknown
      try {
        json = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return send(res, 400, { error: 'not JSON' })
      }
      try {
        send(res, 200, accept(json))
      } catch (err) {
        if (err instanceof ShardError) return send(res, 400, { error: err.message })
        send(res, 500, { error: 'internal error' })
      }
    })
    req.on('error', () => {})
  })
  return server
}

/**
 * Runs the scenario as the coordinator: relay, web server and owner here, the cast spread over
 * this process's shard and the workers' (`runJoin`), the figures from the owner's epochs and every
 * shard's reports, through the same FigureBook as the other modes.
 * @example const result = await runServe(scenario, { modelsDir, shard: { index: 0, count: 2 } })
 */
export async function runServe(scenario: Scenario, options: ServeOptions): Promise<SimulationResult> {
  const gaps = serveModeGaps(scenario, options.shard)
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
    const stateDir = mkdtempSync(join(tmpdir(), 'wt-simulate-serve-'))
    const stack = await startRelayStack({ host, port: options.port ?? 0, relayPort: 0, stateDir, modelsDir: options.modelsDir, manifest, log })
    const relay = relayHolder(stack.relay, { host, stateDir })
    stoppers.push(() => relay.stop(), () => stack.server.stop())
    const bootstrap = stack.bootstrap
    const forger = epochForger()
    const forgeAt = forgedEpochOf(scenario)
    const owner = await startOwner({ manifest, bootstrap, host, log, store: fileLogStore(chainDir(stateDir)), ...(forgeAt === null ? {} : { forge: forger.forge }) })
    stoppers.push(() => owner.owner.stop(), () => owner.mesh.stop())
    const partition = createPartition()
    partition.attach(-1, owner.mesh)

    // The workers' side: their latest reports, and what this coordinator tells them.
    // Query flooders start apart and Sybil identities run here, outside the shards.
    const isFlooder = (p: number): boolean => cast[p]!.behaviour === 'query-flooder' || isSybil(cast[p]!)
    const wanted = new Set(cast.filter((c) => !isFlooder(c.peer)).map((c) => c.peer))
    const remote = new Map<number, { report: WorkerReport; at: number; polledAt: number }>()
    const remoteShards = Array.from({ length: shard.count }, (_, i) => i).filter((i) => i !== shard.index)
    let phase: CoordinatorPhase = 'starting'
    let floodTargets: MinerAddress[] = []
    const validatorPeers = new Set(cast.filter((c) => c.behaviour === 'honest-validator').map((c) => c.peer))
    const minerPeers = new Set(cast.filter((c) => isMinerBehaviour(c.behaviour) && !isSybil(c)).map((c) => c.peer))
    const accept = (json: unknown): CoordinatorReply => {
      const report = parseWorkerReport(json, { fingerprint, shards: shard.count, ownShard: shard.index, castSize: cast.length, validatorPeers, minerPeers })
      const now = Date.now()
      const prev = remote.get(report.shard.index)
      if (prev === undefined || report.seq > prev.report.seq || report.seq === 0) remote.set(report.shard.index, { report, at: now, polledAt: now })
      else prev.polledAt = now
      return { phase, relay: bootstrap, alive: shardPeers(cast.length, report.shard).filter((p) => wanted.has(p)), miners: phase === 'starting' ? [] : floodTargets }
    }
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
    status(`simulate ${scenario.name} (exact, coordinator): web app ${stack.server.url}, join endpoint ${joinUrl}`)
    if (remoteShards.length > 0) {
      const tokenHint = options.tokenFile === undefined ? `${JOIN_TOKEN_ENV}=<token>` : `${JOIN_TOKEN_ENV}=$(cat ${options.tokenFile})`
      for (const i of remoteShards) status(`simulate ${scenario.name}: waiting for shard ${i}/${shard.count}: ${tokenHint} webtensor simulate ${options.workerArgs ?? scenario.name} --exact --join ${joinUrl} --shard ${i}/${shard.count}`)
    }

    // This process's shard.
    const local = await startShard({ scenario, cast, manifest, shard, bootstrap, host, modelsDir: options.modelsDir, log, partition })
    stoppers.push(() => local.stop())
    const localWanted = (): Set<number> => new Set(local.peers.filter((p) => wanted.has(p)))
    await local.setAlive(localWanted())

    const workerError = (): void => {
      for (const [i, r] of remote) if (r.report.error !== undefined) throw new Error(`worker shard ${i}/${shard.count} failed: ${r.report.error}`)
    }
    /** Every shard's peers as last reported (this one's now). */
    const gather = (): { alive: Set<number>; digests: Map<number, Map<number, string>>; validators: ValidatorReport[]; miners: MinerAddress[] } => {
      const snaps = [local.snapshot(), ...[...remote.values()].map((r) => r.report)]
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
    await until(() => registered().length === uidHolders.length, joinTimeoutMs, () => `only ${registered().length} of ${uidHolders.length} peers registered within ${joinTimeoutMs / 1000} s`, workerError)
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
      await local.setAlive(localWanted())
      await until(
        () => {
          const alive = gather().alive
          return cast.every((c) => isFlooder(c.peer) || wanted.has(c.peer) === alive.has(c.peer))
        },
        120_000,
        () => `the workers did not ${what} within 120 s`,
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
      const registrations = owner.owner.stats().registrations
      // A uid whose hotkey changed since the last epoch was pruned for a new registration.
      const pruned = neurons.filter((n) => uidOwners.has(n.uid) && uidOwners.get(n.uid) !== n.hotkey).length
      uidOwners = new Map(neurons.map((n) => [n.uid, n.hotkey]))
      book.add({
        epoch,
        block: record.block,
        holders,
        registrations: registrations - lastRegistrations,
        pruned,
        peersOnline: 1 + [...g.alive].filter((p) => !isFlooder(p)).length + flooders,
        latencyMs,
        delivery: sent > sentBefore ? (verified - verifiedBefore) / (sent - sentBefore) : 0,
      })
      lastRegistrations = registrations
      sentBefore = sent
      verifiedBefore = verified
      options.onEpoch?.({ run: 'base', runIndex: 0, runs: 1, epoch: epoch + 1, epochs: scenario.epochs, uids: neurons.length })
    }
    await sleep(500) // the last epoch's gossip reaches the peers
    // On a loaded machine it can take longer: wait (10 s at most) until every running peer has heard of it.
    const lastEpoch = Math.max(...ownerDigests.keys())
    await until(() => {
      const g = gather()
      return cast.every((c) => isFlooder(c.peer) || !g.alive.has(c.peer) || g.digests.get(c.peer)?.has(lastEpoch) === true)
    }, 10_000, () => 'late', silent).catch(() => {})
    // A report from every worker sent after this moment: their digests of the last epoch.
    const finalAt = Date.now()
    await until(() => remoteShards.every((i) => (remote.get(i)?.at ?? 0) > finalAt + 50), 30_000, () => 'the workers sent no final report', silent)
    const g = gather()
    const last = Math.max(...ownerDigests.keys())
    const survivors = cast.filter((c) => !isFlooder(c.peer) && g.alive.has(c.peer))
    const digestsAgree = survivors.every((c) => {
      const d = g.digests.get(c.peer) ?? new Map<number, string>()
      return d.get(last) === ownerDigests.get(last) && [...d].every(([e, x]) => !ownerDigests.has(e) || ownerDigests.get(e) === x)
    })
    const forgery =
      forgeAt === null
        ? undefined
        : await checkForgery({ logPath: join(chainDir(stateDir), 'log.jsonl'), ownerHotkey: manifest.owner.hotkey, runEpoch: forgeAt, forged: ownerLog.find((e) => e.epoch === forger.forged()?.epoch), digests: survivors.map((c) => g.digests.get(c.peer) ?? new Map<number, string>()) })
    if (forgery !== undefined) status(`simulate ${scenario.name} (exact): forged epoch ${forgery.chainEpoch} at log entry ${forgery.seq} of ${join(chainDir(stateDir), 'log.jsonl')}: ${forgery.detected ? 'the log verifier stops there' : `NOT caught (${forgery.divergence === null ? 'the log verified' : `divergence at entry ${forgery.divergence.seq}`})`}; ${forgery.peersWithForged} of ${forgery.peersHeard} peers took it from gossip`)
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
        },
      ],
      notes: [
        ...faultNotes(scenario, sybils.attempts(), book.series),
        `Exact mode over ${shard.count} shard(s): ${cast.length} real Node peers (onnxruntime-node, libp2p over WebSockets) on one relay, the coordinator's local chain running exact Yuma every ${scenario.tempo} blocks of ${scenario.blockTimeMs} ms; shard i runs cast peers i, i + ${shard.count}, … (the coordinator ran shard ${shard.index}).`,
        'Miner quality is the real validators\' verdicts on real answers (the cast\'s quality ranges and validator noise are math-mode settings).',
        ...(scenario.variants.length > 0 ? [`Variants (${scenario.variants.map((v) => v.name).join(', ')}) run in math mode only: exact mode ran the base hyperparameters.`] : []),
      ],
      resources: { wallMs, epochsPerSecond: (scenario.epochs * 1000) / wallMs },
    }
  } finally {
    await stopAll()
  }
}

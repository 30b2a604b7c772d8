/**
 * Exact mode of `webtensor simulate`: the scenario's cast as real peers on this machine — a relay,
 * the owner with the local chain (fast blocks, exact Yuma), validators and miners on
 * onnxruntime-node, each its own libp2p peer with its own hotkey — and the figures read from the
 * owner's epochs. The I/O edge of `src/simulate` (which stays pure): it reports through the same
 * FigureBook as math mode.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type { ChainClient } from '../chain/index.ts'
import { hotkeyFromSecret, type Hotkey } from '../identity/index.ts'
import { loadModel, makeTestModel, type ModelRunner } from '../inference/index.ts'
import { createMinerNode, createValidatorNode, joinSubnet } from '../node/index.ts'
import { createMesh, createRelay, type Mesh } from '../p2p/index.ts'
import { FigureBook, type HolderFigures } from '../simulate/figures.ts'
import { Rng } from '../simulate/rng.ts'
import type { MathProgress } from '../simulate/math.ts'
import type { SimulationResult } from '../simulate/run.ts'
import { isMinerBehaviour, isValidatorBehaviour, runHyperparams, type Behaviour, type Scenario } from '../simulate/scenario.ts'
import { maxUpscaleU16 } from '../scoring/weights.ts'
import { QUERY_REQUEST, seal } from '../subnet/exchange.ts'
import { createTask, freshNonce, TaskInputError, type SubnetTask, type TextGenerationAnswer, type TextGenerationInput } from '../subnet/tasks/index.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'
import { loadNodeRunner, startOwner } from './stack.ts'

/** What exact mode runs in this build; the rest is named in the refusal. */
export const EXACT_BEHAVIOURS: ReadonlySet<Behaviour> = new Set<Behaviour>([
  'honest-miner', 'answer-table', 'copier', 'different-model', 'invented-logprobs', 'slow', 'flaky',
  'honest-validator', 'random-weights', 'weight-copier', 'query-flooder',
])

/**
 * Why this scenario cannot run in exact mode here (empty when it can).
 * @example exactModeGaps(scenario) // ['cast[3] churn: not in exact mode yet']
 */
export function exactModeGaps(scenario: Scenario): string[] {
  const gaps: string[] = []
  scenario.cast.forEach((g, i) => {
    if (g.count > 0 && !EXACT_BEHAVIOURS.has(g.behaviour)) gaps.push(`cast[${i}] ${g.behaviour}`)
  })
  scenario.faults.forEach((f, i) => {
    if (f.kind !== 'kill') gaps.push(`faults[${i}] ${f.kind}`)
  })
  if (scenario.manifest.task.name !== 'text-generation') gaps.push(`task ${scenario.manifest.task.name} (the adversaries are text-generation ones)`)
  return gaps
}

export interface ExactOptions {
  /** Where every peer listens (default 127.0.0.1). */
  host?: string
  modelsDir: string
  onEpoch?: (p: MathProgress) => void
  /** Progress lines while the peers start (registration and the first epoch). */
  onStatus?: (line: string) => void
  log?: (line: string) => void
}

interface SimPeer {
  behaviour: Behaviour
  group: number
  hotkey: Hotkey
  /** Epoch number → the digest this peer received for it (what `same-digests` compares). */
  digests: Map<number, string>
  alive: boolean
  start(): Promise<void>
  stop(): Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The scenario's subnet: its manifest with the run's tempo, block time and the cast's validators at genesis. */
export function exactManifest(scenario: Scenario, validators: { hotkey: Hotkey; secret: string; stakeRao: bigint }[]): SubnetManifest {
  const m = structuredClone(scenario.manifest)
  m.chain.tempo = scenario.tempo
  m.chain.blockTimeMs = scenario.blockTimeMs
  m.hyperparams = runHyperparams(m.hyperparams, {}, scenario.tempo)
  m.validators = validators.map((v) => ({ hotkey: v.hotkey.address, devSecret: v.secret, stake: v.stakeRao.toString() }))
  return m
}

/**
 * Runs a scenario with real peers (Node) and reads its figures from the owner's exact epochs.
 * @example const result = await runExact(scenario, { modelsDir: DEFAULT_MODELS_DIR })
 */
export async function runExact(scenario: Scenario, options: ExactOptions): Promise<SimulationResult> {
  const gaps = exactModeGaps(scenario)
  if (gaps.length > 0) throw new Error(`exact mode cannot run ${gaps.join(', ')} yet: run this scenario in math mode (--mode math)`)
  const host = options.host ?? '127.0.0.1'
  const log = options.log ?? ((): void => {})
  const status = options.onStatus ?? ((): void => {})
  const started = performance.now()
  const stoppers: (() => Promise<unknown>)[] = []
  const stopAll = async (): Promise<void> => {
    for (const s of stoppers.splice(0).reverse()) await s().catch(() => {})
  }
  try {
    // The cast, peer by peer, with hotkeys of their own.
    const cast: { behaviour: Behaviour; group: number; member: number; secret: string; hotkey: Hotkey }[] = []
    for (const [group, g] of scenario.cast.entries()) {
      for (let m = 0; m < g.count; m++) {
        const secret = `//Simulate/${scenario.name}/${group}/${m}`
        cast.push({ behaviour: g.behaviour, group, member: m, secret, hotkey: await hotkeyFromSecret(secret) })
      }
    }
    const validators = cast.filter((c) => isValidatorBehaviour(c.behaviour))
    const manifest = exactManifest(
      scenario,
      validators.map((c) => ({ hotkey: c.hotkey, secret: c.secret, stakeRao: BigInt(Math.round(scenario.cast[c.group]!.stake * 1e9)) })),
    )
    const relay = await createRelay({ host, port: 0, keyFile: join(mkdtempSync(join(tmpdir(), 'wt-simulate-')), 'relay.key') })
    await relay.start()
    stoppers.push(() => relay.stop())
    const bootstrap = relay.multiaddrs
    const owner = await startOwner({ manifest, bootstrap, host, log })
    stoppers.push(() => owner.owner.stop(), () => owner.mesh.stop())
    const ownerDigests = new Map<number, string>()
    const listen = [`/ip4/${host}/tcp/0/ws`]

    // Work the adversaries need: the honest task, an answer table, the latest honest answer, another model.
    const honest = createTask(manifest.task) as SubnetTask<TextGenerationInput, TextGenerationAnswer>
    const shared = await loadNodeRunner(manifest, options.modelsDir, log)
    stoppers.push(() => shared.dispose())
    const table = await Promise.all(Array.from({ length: 6 }, () => honest.answer(shared, honest.makeInput(freshNonce()))))
    let lastHonest: TextGenerationAnswer | null = null
    let otherDir: string | null = null
    const runnerFor = async (behaviour: Behaviour): Promise<ModelRunner> => {
      if (behaviour !== 'different-model') return loadNodeRunner(manifest, options.modelsDir, log)
      if (otherDir === null) {
        // Same architecture and tokenizer, other weights: "a smaller or different model".
        otherDir = mkdtempSync(join(tmpdir(), 'wt-simulate-other-'))
        await makeTestModel('tiny-gpt2', join(otherDir, 'other', 'tiny-gpt2'), { seed: 1 })
      }
      return loadModel({ modelId: 'other/tiny-gpt2', localModelPath: otherDir })
    }
    const flakyRng = Rng.stream(scenario.seed, 'flaky')
    const cheat = (answer: (input: TextGenerationInput, r: ModelRunner) => Promise<unknown>): SubnetTask => ({ ...honest, answer: (r, input) => answer(input as TextGenerationInput, r) as Promise<never> })
    const taskFor = (c: (typeof cast)[number]): SubnetTask => {
      const g = scenario.cast[c.group]!
      switch (c.behaviour) {
        case 'honest-miner':
          return cheat(async (input, r) => (lastHonest = await honest.answer(r, input)))
        case 'answer-table':
          return cheat(async () => table[Math.floor(Math.random() * table.length)])
        case 'copier':
          return cheat(async () => lastHonest ?? table[0])
        case 'invented-logprobs':
          return cheat(async (input, r) => {
            const a = await honest.answer(r, input)
            return { ...a, logprobs: a.logprobs.map(() => -2.5) }
          })
        case 'slow':
          return cheat(async (input, r) => {
            await sleep(g.latencyMs!)
            return honest.answer(r, input)
          })
        case 'flaky':
          return cheat(async (input, r) => {
            if (flakyRng.uniform() < g.dropRate!) throw new TaskInputError('dropped (flaky)')
            return honest.answer(r, input)
          })
        default:
          return honest as SubnetTask
      }
    }

    const followDigests = (chain: ChainClient, digests: Map<number, string>): void => {
      chain.onEpoch((e) => digests.set(e.epoch, e.digest))
    }
    const peers: SimPeer[] = []
    const minerAddrs: { peerId: string; addr: string; hotkey: string }[] = []
    const validatorStats: (() => { sent: number; verified: number; latency: Record<number, number> })[] = []
    for (const c of cast) {
      if (c.behaviour === 'query-flooder') continue
      const digests = new Map<number, string>()
      let running: { stop(): Promise<void> } | null = null
      const peer: SimPeer = {
        behaviour: c.behaviour,
        group: c.group,
        hotkey: c.hotkey,
        digests,
        alive: false,
        async start() {
          const { mesh, chain } = await joinSubnet({ manifest, signer: c.hotkey, bootstrap, listen })
          followDigests(chain, digests)
          const parts: (() => Promise<unknown>)[] = [() => mesh.stop()]
          if (isMinerBehaviour(c.behaviour)) {
            const runner = await runnerFor(c.behaviour)
            const node = createMinerNode({ manifest, mesh, chain, runner, signer: c.hotkey, agent: `simulate/${c.behaviour}`, task: taskFor(c), log })
            await node.start()
            parts.unshift(() => node.stop(), () => runner.dispose())
            if (mesh.multiaddrs[0] !== undefined) minerAddrs.push({ peerId: mesh.peerId, addr: mesh.multiaddrs[0], hotkey: c.hotkey.address })
          } else if (c.behaviour === 'honest-validator') {
            const runner = await loadNodeRunner(manifest, options.modelsDir, log)
            const node = createValidatorNode({ manifest, mesh, chain, runner, signer: c.hotkey, log })
            await node.start()
            validatorStats.push(() => {
              const s = node.stats()
              return { sent: s.queriesSent, verified: s.answersVerified, latency: s.latencyMs }
            })
            parts.unshift(() => node.stop(), () => runner.dispose())
          } else {
            parts.unshift(await startWeightSetter(c.behaviour, manifest, mesh, chain, c.hotkey, scenario, cast))
          }
          running = {
            async stop() {
              for (const part of parts) await part().catch(() => {})
            },
          }
          peer.alive = true
        },
        async stop() {
          peer.alive = false
          await running?.stop()
          running = null
        },
      }
      peers.push(peer)
      stoppers.push(() => peer.stop())
    }
    status(`simulate ${scenario.name} (exact): starting ${peers.length} peers`)
    for (const p of peers) await p.start()
    // A stranger without a permit floods every miner with valid-looking queries.
    const flooders = cast.filter((c) => c.behaviour === 'query-flooder')
    for (const f of flooders) stoppers.push(await startQueryFlooder(manifest, bootstrap, listen, f.hotkey, minerAddrs))

    const holdsUid = peers.filter((p) => isMinerBehaviour(p.behaviour) || isValidatorBehaviour(p.behaviour))
    const registeredAll = (): boolean => holdsUid.every((p) => owner.owner.chain.uidOf(p.hotkey.address) !== undefined)
    const deadline = Date.now() + 180_000
    while (!registeredAll()) {
      if (Date.now() > deadline) throw new Error(`only ${holdsUid.filter((p) => owner.owner.chain.uidOf(p.hotkey.address) !== undefined).length} of ${holdsUid.length} peers registered within 180 s`)
      await sleep(200)
    }
    status(`simulate ${scenario.name} (exact): ${holdsUid.length} peers registered; running ${scenario.epochs} epochs of ${scenario.tempo} blocks × ${scenario.blockTimeMs} ms`)

    const behaviours = [...new Set(cast.filter((c) => isMinerBehaviour(c.behaviour) || isValidatorBehaviour(c.behaviour)).map((c) => c.behaviour))]
    const book = new FigureBook(cast.map((c) => c.behaviour), behaviours, scenario.expectations.map((e) => e.fromEpoch), true)
    const peerOf = new Map(cast.map((c, i) => [c.hotkey.address, i]))
    const simPeerOf = new Map(peers.map((p) => [p.hotkey.address, p]))
    const faultRng = Rng.stream(scenario.seed, 'faults')
    const comeBack = new Map<number, SimPeer[]>()
    let seen = owner.owner.epochs.length
    let lastRegistrations = owner.owner.stats().registrations
    let sentBefore = 0
    let verifiedBefore = 0
    const epochTimeout = scenario.tempo * scenario.blockTimeMs * 4 + 30_000
    for (let epoch = 0; epoch < scenario.epochs; epoch++) {
      // Faults first, as in math mode: they act on this epoch.
      for (const f of scenario.faults) {
        if (f.atEpoch !== epoch || f.kind !== 'kill') continue
        const alive = peers.filter((p) => p.alive)
        const picked = faultRng.sample(alive.length, Math.round(f.share * alive.length)).map((k) => alive[k]!)
        for (const p of picked) await p.stop()
        if (f.forEpochs !== null) comeBack.set(epoch + f.forEpochs, [...(comeBack.get(epoch + f.forEpochs) ?? []), ...picked])
        status(`simulate ${scenario.name} (exact): epoch ${epoch + 1}: killed ${picked.length} peers`)
      }
      for (const p of comeBack.get(epoch) ?? []) await p.start()
      const waitUntil = Date.now() + epochTimeout
      while (owner.owner.epochs.length <= seen) {
        if (Date.now() > waitUntil) throw new Error(`no epoch from the owner within ${epochTimeout} ms`)
        await sleep(50)
      }
      seen = owner.owner.epochs.length
      const record = owner.owner.epochs[seen - 1]!
      const latest = owner.owner.latestEpoch()
      if (latest !== null) ownerDigests.set(latest.epoch, latest.digest)
      const out = record.output
      const neurons = owner.owner.chain.metagraph().neurons
      const holders: HolderFigures[] = []
      for (const n of neurons) {
        const peer = peerOf.get(n.hotkey)
        if (peer === undefined || n.uid >= out.n) continue
        holders.push({ peer, incentive: out.incentive[n.uid]!, dividends: out.dividends[n.uid]!, emissionRao: Number(out.combined_emission[n.uid]), validatorTrust: out.validator_trust[n.uid]!, stake: out.stake[n.uid]! })
      }
      // Latency (median of each behaviour's latest answers) and delivery, from the honest validators.
      const vs = validatorStats.map((f) => f())
      const sent = vs.reduce((s, v) => s + v.sent, 0)
      const verified = vs.reduce((s, v) => s + v.verified, 0)
      const latencyMs: Record<string, number> = {}
      for (const b of behaviours.filter((x) => isMinerBehaviour(x))) {
        const xs: number[] = []
        for (const n of neurons) {
          if (simPeerOf.get(n.hotkey)?.behaviour !== b) continue
          for (const v of vs) if (v.latency[n.uid] !== undefined) xs.push(v.latency[n.uid]!)
        }
        xs.sort((x, y) => x - y)
        latencyMs[b] = xs.length === 0 ? 0 : xs[Math.floor(xs.length / 2)]!
      }
      const registrations = owner.owner.stats().registrations
      book.add({
        epoch,
        block: record.block,
        holders,
        registrations: registrations - lastRegistrations,
        pruned: 0,
        peersOnline: 1 + peers.filter((p) => p.alive).length + flooders.length,
        latencyMs,
        delivery: sent > sentBefore ? (verified - verifiedBefore) / (sent - sentBefore) : 0,
      })
      lastRegistrations = registrations
      sentBefore = sent
      verifiedBefore = verified
      options.onEpoch?.({ run: 'base', runIndex: 0, runs: 1, epoch: epoch + 1, epochs: scenario.epochs, uids: neurons.length })
    }
    await sleep(500) // the last epoch's gossip reaches the peers
    // Every surviving peer saw the owner's digest for every epoch it heard of, and heard of the last one.
    const last = Math.max(...ownerDigests.keys())
    const digestsAgree = peers.filter((p) => p.alive).every((p) => p.digests.get(last) === ownerDigests.get(last) && [...p.digests].every(([e, d]) => !ownerDigests.has(e) || ownerDigests.get(e) === d))
    const wallMs = performance.now() - started
    return {
      scenario,
      mode: 'exact',
      runs: [
        {
          name: 'base',
          hyperparams: manifest.hyperparams,
          series: book.series,
          peers: cast.map((c) => ({ behaviour: c.behaviour, group: c.group, survived: c.behaviour === 'query-flooder' || simPeerOf.get(c.hotkey.address)?.alive === true })),
          windows: book.windows(),
          summary: book.summary(),
          digestsAgree,
        },
      ],
      notes: [
        `Exact mode: ${peers.length + flooders.length} real Node peers (onnxruntime-node, libp2p over WebSockets) on one relay, the owner's local chain running exact Yuma every ${scenario.tempo} blocks of ${scenario.blockTimeMs} ms.`,
        'Miner quality is the real validators\' verdicts on real answers (the cast\'s quality ranges and validator noise are math-mode settings).',
        ...(scenario.variants.length > 0 ? [`Variants (${scenario.variants.map((v) => v.name).join(', ')}) run in math mode only: exact mode ran the base hyperparameters.`] : []),
      ],
      resources: { wallMs, epochsPerSecond: (scenario.epochs * 1000) / wallMs },
    }
  } finally {
    await stopAll()
  }
}

/**
 * A validator that does not validate: `random-weights` sets random weights on every other uid;
 * `weight-copier` sets what its target (the cast's most-staked validator of that behaviour) last
 * published. Both at the chain's rate limit. Resolves to its stop function.
 */
export async function startWeightSetter(
  behaviour: Behaviour,
  manifest: SubnetManifest,
  mesh: Mesh,
  chain: ChainClient,
  hotkey: Hotkey,
  scenario: Scenario,
  cast: { behaviour: Behaviour; group: number; hotkey: Hotkey }[],
): Promise<() => Promise<void>> {
  const rng = Rng.stream(scenario.seed, `weights/${hotkey.address}`)
  let copied: { uids: number[]; weights: number[] } | null = null
  const unsubscribe: (() => void)[] = []
  if (behaviour === 'weight-copier') {
    const me = cast.find((c) => c.hotkey.address === hotkey.address)!
    const targetBehaviour = scenario.cast[me.group]!.target!
    const targets = cast.filter((c) => c.behaviour === targetBehaviour && c.hotkey.address !== hotkey.address)
    targets.sort((a, b) => scenario.cast[b.group]!.stake - scenario.cast[a.group]!.stake)
    const target = targets[0]?.hotkey.address
    // What the chain shows of the target: its weights, or under commit-reveal its reveals.
    unsubscribe.push(mesh.subscribe('weights', (msg) => void (msg.hotkey === target && (copied = { uids: msg.payload.uids, weights: msg.payload.weights }))))
    unsubscribe.push(mesh.subscribe('reveal', (msg) => void (msg.hotkey === target && (copied = { uids: msg.payload.uids, weights: msg.payload.weights }))))
  }
  let lastBlock = -Infinity
  const every = manifest.chain.weights.rateLimit + 1
  unsubscribe.push(
    chain.onMetagraph((m) => {
      if (m.block - lastBlock < every) return
      const self = chain.uidOf(hotkey.address)
      if (self === undefined) return
      let uids: number[]
      let weights: number[]
      if (behaviour === 'random-weights') {
        uids = m.neurons.map((n) => n.uid).filter((u) => u !== self)
        weights = maxUpscaleU16(uids.map(() => rng.uniform()))
      } else {
        if (copied === null) return
        const keep = copied.uids.map((u, k) => [u, copied!.weights[k]!] as const).filter(([u]) => u !== self)
        uids = keep.map(([u]) => u)
        weights = keep.map(([, w]) => w)
      }
      if (uids.length === 0) return
      lastBlock = m.block
      chain.setWeights(uids, weights).catch(() => {})
    }),
  )
  return async () => {
    for (const u of unsubscribe) u()
  }
}

/** A stranger (no permit) that sends every miner valid-looking queries as fast as it can. Resolves to its stop function. */
export async function startQueryFlooder(
  manifest: SubnetManifest,
  bootstrap: string[],
  listen: string[],
  hotkey: Hotkey,
  miners: { peerId: string; addr: string; hotkey: string }[],
): Promise<() => Promise<void>> {
  const mesh = await createMesh({ netuid: manifest.netuid, signer: hotkey, bootstrap, listen, allowPrivateAddresses: true })
  await mesh.start()
  for (const m of miners) await mesh.libp2p.dial(multiaddr(m.addr)).catch(() => {})
  const task = createTask(manifest.task)
  let running = true
  const loop = (async () => {
    while (running) {
      for (const m of miners) {
        if (!running) break
        const query = seal(mesh, hotkey, manifest.netuid, 'query', { id: `flood-${Math.random().toString(36).slice(2)}`, miner: m.hotkey, task: task.name, input: task.makeInput(freshNonce()) as unknown as Record<string, unknown> })
        await mesh.request(m.peerId, QUERY_REQUEST, query, { timeoutMs: 2000 }).catch(() => {})
      }
      await sleep(20)
    }
  })()
  return async () => {
    running = false
    await loop
    await mesh.stop()
  }
}

/**
 * One shard of an exact simulation's cast as real Node peers (`--serve` runs one, each `--join`
 * worker another): the peers, their cheating tasks and weight setters, started and stopped on
 * command, and what the coordinator needs to know of them (alive, digests seen, the honest
 * validators' counters, the miners' addresses). The cast and its hotkeys come from the scenario
 * alone, so every process derives the same ones.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type { ChainClient } from '../chain/index.ts'
import { hotkeyFromSecret, type Hotkey } from '../identity/index.ts'
import { loadModel, makeTestModel, type ModelRunner } from '../inference/index.ts'
import { createMinerNode, createValidatorNode, joinSubnet, type ValidatorNode } from '../node/index.ts'
import { createMesh, type Mesh } from '../p2p/index.ts'
import { Rng } from '../simulate/rng.ts'
import { isMinerBehaviour, isValidatorBehaviour, runHyperparams, type Behaviour, type PeerHost, type Scenario } from '../simulate/scenario.ts'
import { MAX_DIGESTS_PER_PEER, shardPeers, type MinerAddress, type PeerReport, type Shard, type ValidatorReport } from '../simulate/shard.ts'
import { maxUpscaleU16 } from '../scoring/weights.ts'
import { QUERY_REQUEST, seal } from '../subnet/exchange.ts'
import { createTask, freshNonce, TaskInputError, type SubnetTask, type TextGenerationAnswer, type TextGenerationInput } from '../subnet/tasks/index.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'
import type { Partition } from './simulate-faults.ts'
import { loadNodeRunner, type Log } from './stack.ts'

/** One member of the cast: its index, behaviour, group, hotkey (from a secret the scenario fixes) and where it runs. */
export interface CastMember {
  peer: number
  behaviour: Behaviour
  group: number
  member: number
  secret: string
  hotkey: Hotkey
  /** `node`: a Node peer of some shard; `tab`: a page in the coordinator's Chromium. */
  host: PeerHost
}

/** The scenario's cast, peer by peer, with the hotkeys exact mode gives them. */
export async function castOf(scenario: Scenario): Promise<CastMember[]> {
  const cast: CastMember[] = []
  for (const [group, g] of scenario.cast.entries()) {
    for (let m = 0; m < g.count; m++) {
      const secret = `//Simulate/${scenario.name}/${group}/${m}`
      cast.push({ peer: cast.length, behaviour: g.behaviour, group, member: m, secret, hotkey: await hotkeyFromSecret(secret), host: g.in ?? 'node' })
    }
  }
  return cast
}

/** The scenario's subnet: its manifest with the run's tempo, block time and the cast's validators at genesis. */
export function exactManifest(scenario: Scenario, validators: { hotkey: Hotkey; secret: string; stakeRao: bigint }[]): SubnetManifest {
  const m = structuredClone(scenario.manifest)
  m.chain.tempo = scenario.tempo
  m.chain.blockTimeMs = scenario.blockTimeMs
  m.hyperparams = runHyperparams(m.hyperparams, {}, scenario.tempo)
  m.validators = validators.map((v) => ({ hotkey: v.hotkey.address, devSecret: v.secret, stake: v.stakeRao.toString() }))
  return m
}

/** The subnet's manifest: the scenario's, with its validators staked at genesis. */
export function castManifest(scenario: Scenario, cast: readonly CastMember[]): SubnetManifest {
  return exactManifest(
    scenario,
    cast.filter((c) => isValidatorBehaviour(c.behaviour)).map((c) => ({ hotkey: c.hotkey, secret: c.secret, stakeRao: BigInt(Math.round(scenario.cast[c.group]!.stake * 1e9)) })),
  )
}

/** Peers that hold a uid (what registration waits for). */
export const holdsUid = (b: Behaviour): boolean => isMinerBehaviour(b) || isValidatorBehaviour(b)

/** A shard's peers, running. */
export interface ShardRuntime {
  /** This shard's cast peers (indices; tab peers are the coordinator's, not a shard's). */
  readonly peers: readonly number[]
  /** Query flooders of this shard (they start with `startFlooders`). */
  readonly flooders: readonly number[]
  /** Which of this shard's peers run now. */
  alive(): Set<number>
  /** Starts and stops peers until exactly `wanted` (of this shard's) run; calls are queued. */
  setAlive(wanted: ReadonlySet<number>): Promise<void>
  /** Starts this shard's query flooders against `miners` (once). */
  startFlooders(miners: readonly MinerAddress[]): Promise<void>
  /** What the coordinator reads: each peer's state and digests, the honest validators' counters, the miners' addresses. */
  snapshot(): { peers: PeerReport[]; validators: ValidatorReport[]; miners: MinerAddress[] }
  stop(): Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * Prepares shard `shard` of the cast (loads the model, makes the answer table); no peer runs until
 * `setAlive`. Per-peer draws (a flaky miner's drops) are seeded by the scenario's seed and the
 * peer's index, so they do not depend on how the cast is sharded.
 */
export async function startShard(opts: {
  scenario: Scenario
  cast: readonly CastMember[]
  manifest: SubnetManifest
  shard: Shard
  bootstrap: string[]
  host: string
  modelsDir: string
  log: Log
  /** The coordinator's network split (simulate-faults.ts): each peer's mesh is gated by it. */
  partition?: Partition
}): Promise<ShardRuntime> {
  const { scenario, cast, manifest, bootstrap, log } = opts
  const listen = [`/ip4/${opts.host}/tcp/0/ws`]
  const mine = shardPeers(cast.length, opts.shard).filter((p) => cast[p]!.host === 'node')
  const stoppers: (() => Promise<unknown>)[] = []

  // Work the adversaries need: the honest task, an answer table, the latest honest answer, another model.
  const honest = createTask(manifest.task) as SubnetTask<TextGenerationInput, TextGenerationAnswer>
  const shared = await loadNodeRunner(manifest, opts.modelsDir, log)
  stoppers.push(() => shared.dispose())
  const table = await Promise.all(Array.from({ length: 6 }, () => honest.answer(shared, honest.makeInput(freshNonce()))))
  let lastHonest: TextGenerationAnswer | null = null
  let otherDir: string | null = null
  const runnerFor = async (behaviour: Behaviour): Promise<ModelRunner> => {
    if (behaviour !== 'different-model') return loadNodeRunner(manifest, opts.modelsDir, log)
    if (otherDir === null) {
      otherDir = mkdtempSync(join(tmpdir(), 'wt-simulate-other-'))
      await makeTestModel('tiny-gpt2', join(otherDir, 'other', 'tiny-gpt2'), { seed: 1 })
    }
    return loadModel({ modelId: 'other/tiny-gpt2', localModelPath: otherDir })
  }
  const cheat = (answer: (input: TextGenerationInput, r: ModelRunner) => Promise<unknown>): SubnetTask => ({ ...honest, answer: (r, input) => answer(input as TextGenerationInput, r) as Promise<never> })
  const taskFor = (c: CastMember): SubnetTask => {
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
      case 'flaky': {
        const rng = Rng.stream(scenario.seed, `flaky/${c.peer}`)
        return cheat(async (input, r) => {
          if (rng.uniform() < g.dropRate!) throw new TaskInputError('dropped (flaky)')
          return honest.answer(r, input)
        })
      }
      default:
        return honest as SubnetTask
    }
  }

  interface Running {
    stop(): Promise<void>
  }
  const running = new Map<number, Running>()
  const digests = new Map<number, Map<number, string>>(mine.map((p) => [p, new Map()]))
  const validators = new Map<number, { base: { sent: number; verified: number }; node: ValidatorNode | null; latency: Record<number, number> }>()
  const miners = new Map<number, MinerAddress>()

  const startPeer = async (c: CastMember): Promise<Running> => {
    const { mesh, chain } = await joinSubnet({ manifest, signer: c.hotkey, bootstrap, listen, ...(opts.partition === undefined ? {} : { denyPeer: opts.partition.denyFor(c.peer) }) })
    const seen = digests.get(c.peer)!
    chain.onEpoch((e) => {
      seen.set(e.epoch, e.digest)
      if (seen.size > MAX_DIGESTS_PER_PEER) seen.delete(seen.keys().next().value!)
    })
    const detach = opts.partition?.attach(c.peer, mesh)
    const parts: (() => Promise<unknown>)[] = [() => mesh.stop(), async () => detach?.()]
    if (isMinerBehaviour(c.behaviour)) {
      const runner = await runnerFor(c.behaviour)
      const node = createMinerNode({ manifest, mesh, chain, runner, signer: c.hotkey, agent: `simulate/${c.behaviour}`, task: taskFor(c), log })
      await node.start()
      parts.unshift(() => node.stop(), () => runner.dispose())
      if (mesh.multiaddrs[0] !== undefined) miners.set(c.peer, { peer: c.peer, peerId: mesh.peerId, addr: mesh.multiaddrs[0], hotkey: c.hotkey.address })
    } else if (c.behaviour === 'honest-validator') {
      const runner = await loadNodeRunner(manifest, opts.modelsDir, log)
      const node = createValidatorNode({ manifest, mesh, chain, runner, signer: c.hotkey, log })
      await node.start()
      const v = validators.get(c.peer) ?? { base: { sent: 0, verified: 0 }, node: null, latency: {} }
      v.node = node
      validators.set(c.peer, v)
      parts.unshift(async () => {
        // Counters stay cumulative over a restart: the stopped node's go into the base.
        const s = node.stats()
        v.base = { sent: v.base.sent + s.queriesSent, verified: v.base.verified + s.answersVerified }
        v.latency = s.latencyMs
        v.node = null
        await node.stop()
      }, () => runner.dispose())
    } else {
      parts.unshift(await startWeightSetter(c.behaviour, manifest, mesh, chain, c.hotkey, scenario, [...cast]))
    }
    return {
      async stop() {
        for (const part of parts) await part().catch(() => {})
      },
    }
  }

  let queue: Promise<void> = Promise.resolve()
  const flooders = mine.filter((p) => cast[p]!.behaviour === 'query-flooder')
  let floodersStarted = false
  const runtime: ShardRuntime = {
    peers: mine,
    flooders,
    alive: () => new Set(running.keys()),
    setAlive(wanted) {
      const step = async (): Promise<void> => {
        for (const p of mine) {
          const c = cast[p]!
          if (c.behaviour === 'query-flooder') continue
          const on = running.get(p)
          if (wanted.has(p) && on === undefined) {
            try {
              running.set(p, await startPeer(c))
            } catch (err) {
              log(`simulate: peer ${p} (${c.behaviour}) did not start: ${(err as Error).message}`)
            }
          } else if (!wanted.has(p) && on !== undefined) {
            running.delete(p)
            await on.stop()
          }
        }
      }
      queue = queue.then(step)
      return queue
    },
    async startFlooders(targets) {
      if (floodersStarted) return
      floodersStarted = true
      for (const f of flooders) stoppers.push(await startQueryFlooder(manifest, bootstrap, listen, cast[f]!.hotkey, [...targets]))
    },
    snapshot() {
      const peers = mine.map((p) => ({ peer: p, alive: running.has(p) || flooders.includes(p), digests: [...digests.get(p)!] }))
      const vs = [...validators].map(([peer, v]) => {
        const s = v.node?.stats()
        const latency = s?.latencyMs ?? v.latency
        return { peer, sent: v.base.sent + (s?.queriesSent ?? 0), verified: v.base.verified + (s?.answersVerified ?? 0), latency: Object.entries(latency).map(([u, ms]): [number, number] => [Number(u), ms]) }
      })
      return { peers, validators: vs, miners: [...miners.values()] }
    },
    async stop() {
      await queue.catch(() => {})
      for (const [p, r] of [...running].reverse()) {
        running.delete(p)
        await r.stop()
      }
      for (const s of stoppers.splice(0).reverse()) await s().catch(() => {})
    },
  }
  return runtime
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

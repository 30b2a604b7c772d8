import type { ChainClient, EpochResult } from '../chain/index.ts'
import type { ModelRunner } from '../inference/index.ts'
import type { Envelope, Mesh } from '../p2p/index.ts'
import { U16_MAX } from '../scoring/weights.ts'
import type { SubnetManifest } from './manifest.ts'

export interface MinerOptions {
  manifest: SubnetManifest
  mesh: Mesh
  chain: ChainClient
  runner: ModelRunner
  hotkey: string
  /** Free-form agent string announced to peers (e.g. `webtensor-browser/0.1`). */
  agent: string
  log?: (line: string) => void
  /** Queries waiting beyond this many are dropped (a slow miner must not build a backlog). */
  maxQueue?: number
}

export interface MinerStats {
  uid: number | null
  queriesAnswered: number
  queriesDropped: number
  /** The latest weight a validator set on this miner, as a proportion of 65535. */
  lastScore: number | null
  /** Incentive and dividends of this uid in the latest epoch (proportions). */
  incentive: number | null
  dividends: number | null
  epoch: number | null
  lastAnswerMs: number | null
}

export interface MinerNode {
  start(): Promise<void>
  stop(): Promise<void>
  stats(): MinerStats
  /** Called whenever the stats change. */
  onUpdate(handler: (s: MinerStats) => void): () => void
}

const ANNOUNCE_UNREGISTERED_MS = 2_000
const ANNOUNCE_REGISTERED_MS = 30_000

/**
 * A miner: announces itself until the subnet registers it, answers validators' queries with its
 * model (one at a time, in order), and follows its score and incentive from weights and epochs.
 */
export function createMinerNode(options: MinerOptions): MinerNode {
  const { manifest, mesh, chain, runner, hotkey, agent, log = () => {} } = options
  const maxQueue = options.maxQueue ?? 4
  const stats: MinerStats = { uid: null, queriesAnswered: 0, queriesDropped: 0, lastScore: null, incentive: null, dividends: null, epoch: null, lastAnswerMs: null }
  const handlers = new Set<(s: MinerStats) => void>()
  const unsubscribe: (() => void)[] = []
  const queue: Envelope<'query'>[] = []
  let working = false
  let running = false
  let announceTimer: ReturnType<typeof setTimeout> | undefined

  const changed = (): void => {
    for (const h of handlers) h({ ...stats })
  }

  const announce = (): void => {
    if (!running) return
    mesh.publish('announce', { role: 'miner', model: manifest.model.id, device: runner.device, agent }).catch((err: unknown) => {
      log(`miner: announce failed: ${String(err)}`)
    })
    announceTimer = setTimeout(announce, stats.uid === null ? ANNOUNCE_UNREGISTERED_MS : ANNOUNCE_REGISTERED_MS)
  }

  const work = async (): Promise<void> => {
    if (working) return
    working = true
    try {
      for (let q = queue.shift(); q !== undefined && running; q = queue.shift()) {
        const started = performance.now()
        const out = await runner.generate({ prompt: q.payload.prompt, maxNewTokens: q.payload.maxNewTokens, greedy: true })
        const elapsedMs = Math.round(performance.now() - started)
        await mesh.publish('response', {
          queryId: q.payload.id,
          validator: q.hotkey,
          tokenIds: out.tokenIds,
          text: out.text,
          logprobs: out.logprobs,
          elapsedMs,
        })
        stats.queriesAnswered++
        stats.lastAnswerMs = elapsedMs
        changed()
      }
    } catch (err) {
      log(`miner: answering failed: ${String(err)}`)
    } finally {
      working = false
    }
  }

  const onQuery = (msg: Envelope<'query'>): void => {
    if (msg.payload.targets !== undefined && !msg.payload.targets.includes(hotkey)) return
    if (queue.length >= maxQueue) {
      stats.queriesDropped++
      changed()
      return
    }
    queue.push(msg)
    void work()
  }

  const onEpoch = (e: EpochResult): void => {
    const uid = chain.uidOf(hotkey)
    if (uid === undefined) return
    stats.epoch = e.epoch
    stats.incentive = (e.incentive[uid] ?? 0) / U16_MAX
    stats.dividends = (e.dividends[uid] ?? 0) / U16_MAX
    changed()
  }

  const onWeights = (msg: Envelope<'weights'>): void => {
    const uid = chain.uidOf(hotkey)
    if (uid === undefined) return
    // Anyone can gossip a weights message; only a permitted validator's counts as a score.
    const sender = chain.uidOf(msg.hotkey)
    if (sender === undefined || chain.metagraph()?.neurons[sender]?.validatorPermit !== true) return
    const at = msg.payload.uids.indexOf(uid)
    stats.lastScore = at === -1 ? 0 : msg.payload.weights[at]! / U16_MAX
    changed()
  }

  return {
    stats: () => ({ ...stats }),
    onUpdate(handler) {
      handlers.add(handler)
      return () => handlers.delete(handler)
    },
    async start() {
      running = true
      unsubscribe.push(
        mesh.subscribe('query', onQuery),
        mesh.subscribe('weights', onWeights),
        chain.onEpoch(onEpoch),
        chain.onMetagraph(() => {
          const uid = chain.uidOf(hotkey) ?? null
          if (uid !== stats.uid) {
            stats.uid = uid
            changed()
          }
        }),
      )
      announce()
    },
    async stop() {
      running = false
      clearTimeout(announceTimer)
      queue.length = 0
      for (const u of unsubscribe.splice(0)) u()
    },
  }
}

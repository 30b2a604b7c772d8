import type { ChainClient } from '../chain/index.ts'
import type { ModelRunner } from '../inference/index.ts'
import type { Mesh } from '../p2p/index.ts'
import { updateMovingScore } from '../scoring/response-score.ts'
import { weightsFromScores } from '../scoring/weights.ts'
import { DirectDoor, QUERY_REQUEST, seal } from '../subnet/exchange.ts'
import { createTask, freshNonce, latencyFactor, type SubnetTask } from '../subnet/tasks/index.ts'
import type { Signer } from '../identity/identity.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'

export interface ValidatorOptions {
  manifest: SubnetManifest
  mesh: Mesh
  chain: ChainClient
  /** The validator's own copy of the subnet model: what it verifies answers with. */
  runner: ModelRunner
  signer: Signer
  log?: (line: string) => void
  /** Blocks between two weight settings (default: half a tempo, at least the rate limit + 1). */
  weightsEveryBlocks?: number
  /** The task; default: the manifest's. */
  task?: SubnetTask
  /** Announced to peers (default `webtensor-node`). */
  agent?: string
  /** While true, no query round starts (no model work: a hidden tab); weights are still set from the scores so far. */
  paused?: () => boolean
}

export interface ValidatorStats {
  queriesSent: number
  /** Answers that came back and were checked with the validator's model. */
  answersVerified: number
  /** Verdicts by reason (`ok`, `wrong_token`, `bad_logprob`, …) and queries that got no answer by failure code. */
  verdicts: Record<string, number>
  failures: Record<string, number>
  /** Moving score per uid (0..1). */
  scores: Record<number, number>
  weightsSet: number
  lastWeightsBlock: number | null
  /** Latency of the latest answer per uid (ms, measured here). */
  latencyMs: Record<number, number>
}

export interface ValidatorNode {
  start(): Promise<void>
  stop(): Promise<void>
  stats(): ValidatorStats
}

const ANNOUNCE_MS = 30_000

/**
 * A validator: every `queryIntervalMs` it sends each registered miner (that is not still
 * answering its last query) a fresh query of its own, point to point; it checks each answer with
 * its own model (the task's `verify`), multiplies the verified quality by a latency factor it
 * measured itself, keeps a moving score per uid (no answer in time scores 0) and sets those scores
 * as u16 weights every half tempo.
 */
export function createValidatorNode(options: ValidatorOptions): ValidatorNode {
  const { manifest, mesh, chain, runner, signer, log = () => {} } = options
  const hotkey = signer.address
  const v = manifest.validation
  const task = options.task ?? createTask(manifest.task)
  // Twice a tempo, but never faster than the chain's rate limit accepts (SettingWeightsTooFast),
  // with a block to spare: the owner may apply two calls a block later or earlier than seen here.
  const rateLimit = manifest.chain.weights.rateLimit
  const weightsEvery = options.weightsEveryBlocks ?? Math.max(1, rateLimit === 0 ? 0 : rateLimit + 1, Math.floor(manifest.chain.tempo / 2))
  const door = new DirectDoor({ netuid: manifest.netuid })
  /** Miner hotkey → the peer its latest signed announce came from. */
  const minerPeers = new Map<string, string>()
  const outstanding = new Set<string>()
  const scores = new Map<number, number>()
  /** Who held each scored uid: a uid pruned and given to a new hotkey starts from no score. */
  const scoredHotkey = new Map<number, string>()
  const stats: ValidatorStats = { queriesSent: 0, answersVerified: 0, verdicts: {}, failures: {}, scores: {}, weightsSet: 0, lastWeightsBlock: null, latencyMs: {} }
  const unsubscribe: (() => void)[] = []
  let roundTimer: ReturnType<typeof setInterval> | undefined
  let announceTimer: ReturnType<typeof setInterval> | undefined
  let running = false
  let settingWeights = false
  let querySeq = 0

  const record = (uid: number, score: number, miner: string): void => {
    if (scoredHotkey.get(uid) !== miner) scores.delete(uid)
    const next = updateMovingScore(scores.get(uid), score, v.scoreAlpha)
    scores.set(uid, next)
    scoredHotkey.set(uid, miner)
    stats.scores[uid] = next
  }
  /** Drops the scores of uids now held by another hotkey (pruned and re-registered), or gone. */
  const forgetReplaced = (neurons: readonly { uid: number; hotkey: string }[]): void => {
    const holder = new Map(neurons.map((n) => [n.uid, n.hotkey]))
    for (const [uid, hk] of scoredHotkey) {
      if (holder.get(uid) === hk) continue
      scoredHotkey.delete(uid)
      scores.delete(uid)
      delete stats.scores[uid]
    }
  }
  const count = (bag: Record<string, number>, key: string): void => {
    bag[key] = (bag[key] ?? 0) + 1
  }

  /** One query to one miner, start to score. Never throws. */
  const queryMiner = async (miner: string, peerId: string, uid: number): Promise<void> => {
    outstanding.add(miner)
    try {
      const input = task.makeInput(freshNonce())
      const id = `${hotkey.slice(0, 8)}-${Date.now().toString(36)}-${querySeq++}`
      const bytes = seal(mesh, signer, manifest.netuid, 'query', { id, miner, task: task.name, input: input as Record<string, unknown> })
      stats.queriesSent++
      const sent = performance.now()
      let reply: Uint8Array
      try {
        reply = await mesh.request(peerId, QUERY_REQUEST, bytes, { timeoutMs: v.responseTimeoutMs })
      } catch (err) {
        count(stats.failures, (err as { code?: string }).code ?? 'request_failed')
        record(uid, 0, miner)
        return
      }
      const latency = performance.now() - sent
      let answer: unknown
      try {
        const response = door.open(reply, 'response', peerId)
        if (response.hotkey !== miner || response.payload.queryId !== id || response.payload.validator !== hotkey) {
          throw Object.assign(new Error('answer does not belong to this query'), { code: 'wrong_answer' })
        }
        answer = response.payload.answer
      } catch (err) {
        count(stats.failures, (err as { code?: string }).code ?? 'bad_answer')
        record(uid, 0, miner)
        return
      }
      const verdict = await task.verify(runner, input, answer)
      stats.answersVerified++
      count(stats.verdicts, verdict.reason)
      stats.latencyMs[uid] = Math.round(latency)
      // A miner that re-registered meanwhile is another uid: score only if the uid is still its.
      if (chain.uidOf(miner) === uid) record(uid, verdict.quality * latencyFactor(latency, { targetMs: v.latencyTargetMs, timeoutMs: v.responseTimeoutMs }), miner)
      if (verdict.reason !== 'ok') log(`validator: uid ${uid} answer refused: ${verdict.reason} ${verdict.detail}`)
    } catch (err) {
      log(`validator: query to uid ${uid} failed: ${String(err)}`)
    } finally {
      outstanding.delete(miner)
    }
  }

  const round = (): void => {
    const metagraph = chain.metagraph()
    if (!running || metagraph === null || options.paused?.() === true) return
    for (const n of metagraph.neurons) {
      const peerId = minerPeers.get(n.hotkey)
      if (peerId === undefined || n.hotkey === hotkey || outstanding.has(n.hotkey)) continue
      void queryMiner(n.hotkey, peerId, n.uid)
    }
  }

  const maybeSetWeights = async (block: number): Promise<void> => {
    if (settingWeights || scores.size === 0) return
    // A chain that starts over (a new genesis) counts blocks from 0 again.
    if (stats.lastWeightsBlock !== null && block < stats.lastWeightsBlock) stats.lastWeightsBlock = null
    if (stats.lastWeightsBlock !== null && block - stats.lastWeightsBlock < weightsEvery) return
    const { uids, weights } = weightsFromScores(scores)
    if (uids.length === 0) return
    settingWeights = true
    try {
      await chain.setWeights(uids, weights)
      stats.weightsSet++
      stats.lastWeightsBlock = block
      log(`validator: set weights at block ${block}: ${JSON.stringify(Object.fromEntries(uids.map((u, i) => [u, weights[i]])))}`)
    } catch (err) {
      log(`validator: set weights failed: ${String(err)}`)
    } finally {
      settingWeights = false
    }
  }

  return {
    stats: () => ({ ...stats, verdicts: { ...stats.verdicts }, failures: { ...stats.failures }, scores: { ...stats.scores }, latencyMs: { ...stats.latencyMs } }),
    async start() {
      running = true
      unsubscribe.push(
        // The announce envelope is signed by the miner's hotkey over its peer id: where to ask it.
        mesh.subscribe('announce', (msg) => {
          if (msg.payload.role === 'miner') minerPeers.set(msg.hotkey, msg.peerId)
        }),
        chain.onMetagraph((m) => {
          forgetReplaced(m.neurons)
          void maybeSetWeights(m.block)
        }),
      )
      // Announced now and every half minute: miners that join later link to it when they hear it.
      const announce = (): void => void mesh.publish('announce', { role: 'validator', agent: options.agent ?? 'webtensor-node' }).catch(() => {})
      announce()
      announceTimer = setInterval(announce, ANNOUNCE_MS)
      roundTimer = setInterval(round, v.queryIntervalMs)
    },
    async stop() {
      running = false
      clearInterval(roundTimer)
      clearInterval(announceTimer)
      for (const u of unsubscribe.splice(0)) u()
    },
  }
}

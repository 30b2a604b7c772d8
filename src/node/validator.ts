import type { ChainClient } from '../chain/index.ts'
import type { GenerateResult, ModelRunner } from '../inference/index.ts'
import type { Envelope, Mesh } from '../p2p/index.ts'
import { scoreAgainstReference, updateMovingScore } from '../scoring/response-score.ts'
import { weightsFromScores } from '../scoring/weights.ts'
import type { SubnetManifest } from './manifest.ts'

export interface ValidatorOptions {
  manifest: SubnetManifest
  mesh: Mesh
  chain: ChainClient
  /** The validator's own copy of the subnet model: the reference it scores answers against. */
  runner: ModelRunner
  hotkey: string
  log?: (line: string) => void
  /** Blocks between two weight settings (default: half a tempo). */
  weightsEveryBlocks?: number
}

export interface ValidatorStats {
  queriesSent: number
  responsesScored: number
  responsesIgnored: number
  /** Moving score per uid (0..1). */
  scores: Record<number, number>
  weightsSet: number
  lastWeightsBlock: number | null
}

export interface ValidatorNode {
  start(): Promise<void>
  stop(): Promise<void>
  stats(): ValidatorStats
}

interface PendingQuery {
  prompt: string
  sentAt: number
  reference: Promise<GenerateResult>
  answered: Set<string>
  timer: ReturnType<typeof setTimeout>
}

/**
 * A validator: queries the miners it knows with the subnet's prompts, scores each answer (tokens
 * and their log-probabilities) against its own greedy run of the pinned model (a miner that
 * answers nothing scores 0), keeps a moving
 * score per uid, and sets those scores as u16 weights every half tempo.
 */
export function createValidatorNode(options: ValidatorOptions): ValidatorNode {
  const { manifest, mesh, chain, runner, hotkey, log = () => {} } = options
  const v = manifest.validation
  const weightsEvery = options.weightsEveryBlocks ?? Math.max(1, Math.floor(manifest.chain.tempo / 2))
  const references = new Map<string, Promise<GenerateResult>>()
  const pending = new Map<string, PendingQuery>()
  const miners = new Set<string>()
  const scores = new Map<number, number>()
  const stats: ValidatorStats = { queriesSent: 0, responsesScored: 0, responsesIgnored: 0, scores: {}, weightsSet: 0, lastWeightsBlock: null }
  const unsubscribe: (() => void)[] = []
  let queryTimer: ReturnType<typeof setInterval> | undefined
  let promptIndex = 0
  let querySeq = 0
  let settingWeights = false

  // Greedy decoding is deterministic: one reference run per prompt serves every query with it.
  const referenceFor = (prompt: string): Promise<GenerateResult> => {
    let ref = references.get(prompt)
    if (ref === undefined) {
      ref = runner.generate({ prompt, maxNewTokens: v.maxNewTokens, greedy: true })
      references.set(prompt, ref)
      ref.catch(() => references.delete(prompt))
    }
    return ref
  }

  const record = (minerHotkey: string, score: number): void => {
    const uid = chain.uidOf(minerHotkey)
    if (uid === undefined) return
    const next = updateMovingScore(scores.get(uid), score, v.scoreAlpha)
    scores.set(uid, next)
    stats.scores[uid] = next
  }

  const sendQuery = (): void => {
    if (miners.size === 0 || chain.metagraph() === null) return
    const prompt = v.prompts[promptIndex++ % v.prompts.length]!
    const id = `${hotkey.slice(0, 8)}-${Date.now().toString(36)}-${querySeq++}`
    const query: PendingQuery = {
      prompt,
      sentAt: Date.now(),
      reference: referenceFor(prompt),
      answered: new Set(),
      timer: setTimeout(() => closeQuery(id), v.responseTimeoutMs),
    }
    pending.set(id, query)
    stats.queriesSent++
    mesh.publish('query', { id, prompt, maxNewTokens: v.maxNewTokens }).catch((err: unknown) => {
      log(`validator: query failed to publish: ${String(err)}`)
    })
  }

  // Miners that were known when the query went out and did not answer in time score 0.
  const closeQuery = (id: string): void => {
    const q = pending.get(id)
    if (q === undefined) return
    pending.delete(id)
    for (const m of miners) if (!q.answered.has(m)) record(m, 0)
  }

  const onResponse = async (msg: Envelope<'response'>): Promise<void> => {
    const q = pending.get(msg.payload.queryId)
    if (msg.payload.validator !== hotkey || q === undefined || q.answered.has(msg.hotkey)) {
      stats.responsesIgnored++
      return
    }
    q.answered.add(msg.hotkey)
    miners.add(msg.hotkey)
    const reference = await q.reference
    const score = scoreAgainstReference(reference, msg.payload)
    stats.responsesScored++
    record(msg.hotkey, score)
  }

  const maybeSetWeights = async (block: number): Promise<void> => {
    if (settingWeights || scores.size === 0) return
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
    stats: () => ({ ...stats, scores: { ...stats.scores } }),
    async start() {
      unsubscribe.push(
        mesh.subscribe('announce', (msg) => {
          if (msg.payload.role === 'miner') miners.add(msg.hotkey)
        }),
        mesh.subscribe('response', (msg) => {
          onResponse(msg).catch((err: unknown) => log(`validator: scoring failed: ${String(err)}`))
        }),
        chain.onMetagraph((m) => void maybeSetWeights(m.block)),
      )
      await mesh.publish('announce', { role: 'validator', agent: 'webtensor-node' }).catch(() => {})
      queryTimer = setInterval(sendQuery, v.queryIntervalMs)
    },
    async stop() {
      clearInterval(queryTimer)
      for (const q of pending.values()) clearTimeout(q.timer)
      pending.clear()
      for (const u of unsubscribe.splice(0)) u()
    },
  }
}

/**
 * Asking the network: anyone's prompt, sent point to point to a few miners chosen by incentive,
 * answered with text signed by the miner. Pure: the policy a miner applies and how an asker
 * chooses miners; the miner (`src/node/miner.ts`) and the client (`src/client`) do the I/O.
 *
 * Why an answer is text only, with a seed the miner draws: a miner that wanted to be paid without
 * a model could forward a validator's query to an honest miner as an ask. A validated answer
 * needs the seeded sampler's tokens AND each token's log-probability under the pinned model; an
 * ask's answer carries neither (and is sampled with a seed the asker does not choose), so it
 * cannot be passed off as one. For the same reason a subnet whose task is deterministic
 * (embeddings: the vector IS the validated answer) does not serve asks.
 */
import type { TaskConfig } from './manifest.ts'

/** Request name of the direct ask protocol (`/webtensor/<netuid>/req/ask/1`). */
export const ASK_REQUEST = 'ask'

/** What a miner serves to askers, and how much. */
export interface AskPolicy {
  /** False where the subnet's task must not be served to anyone but validators (see above). */
  enabled: boolean
  /** Why asks are off, for the refusal's message. */
  reason?: string
  /** Tokens generated per ask at most; a larger request is cut to this. */
  maxNewTokens: number
  maxPromptChars: number
  /** Asks per minute from one asker hotkey, and from one peer (sustained; a burst of half of it, at least 2). */
  perAskerPerMinute: number
  /** Asks per minute this miner serves from everyone together: validators' queries come first. */
  perMinute: number
}

export const DEFAULT_ASK_POLICY: Omit<AskPolicy, 'enabled'> = { maxNewTokens: 64, maxPromptChars: 2000, perAskerPerMinute: 6, perMinute: 30 }

/**
 * The ask policy of a subnet task: text generation serves asks, a deterministic task does not.
 * @example askPolicyFor(manifest.task).enabled // true for text-generation
 */
export function askPolicyFor(task: TaskConfig, overrides: Partial<Omit<AskPolicy, 'enabled' | 'reason'>> = {}): AskPolicy {
  const base = { ...DEFAULT_ASK_POLICY, ...overrides }
  if (task.name !== 'text-generation') {
    return { ...base, enabled: false, reason: `this subnet's task (${task.name}) is deterministic: an answer to an ask could be passed off as a validated one` }
  }
  return { ...base, enabled: true }
}

/** A miner an asker can reach: its uid, hotkey, latest incentive (0..1) and the peer it announced from. */
export interface AskTarget {
  uid: number
  hotkey: string
  incentive: number
  peerId: string
}

/**
 * The miners to ask: registered, reachable (a signed announce told us their peer), not the
 * asker itself, highest incentive first (ties by uid), `count` of them.
 * @example rankMiners(metagraph.neurons, epoch?.incentive ?? [], peers, 3)
 */
export function rankMiners(
  neurons: readonly { uid: number; hotkey: string }[],
  incentive: readonly number[],
  peers: ReadonlyMap<string, string>,
  count: number,
  exclude: ReadonlySet<string> = new Set(),
): AskTarget[] {
  const out: AskTarget[] = []
  for (const n of neurons) {
    const peerId = peers.get(n.hotkey)
    if (peerId === undefined || exclude.has(n.hotkey)) continue
    out.push({ uid: n.uid, hotkey: n.hotkey, incentive: (incentive[n.uid] ?? 0) / 65535, peerId })
  }
  out.sort((a, b) => b.incentive - a.incentive || a.uid - b.uid)
  return out.slice(0, Math.max(0, count))
}

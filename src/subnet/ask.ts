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
import { WebtensorError } from '../errors.ts'
import { canonicalEncode, isInt, isPlainObject, keysOk, strictDecode } from '../p2p/index.ts'
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

/**
 * Why a miner did not serve an ask, sent back in place of an answer so the asker can tell "busy,
 * try in 10 s" from "never". Unsigned on purpose: it travels on the stream the asker opened to
 * the miner's own peer (authenticated by the transport), earns nothing and proves nothing, and
 * signing it would let anyone make a miner spend a signature per junk ask.
 */
export interface AskRefusal {
  /** The miner's reason, as counted in its stats (`ask_busy`, `ask_rate_limit_hotkey`, …). */
  refused: string
  message: string
  /** Where the miner knows it: an ask sent after this many ms is not refused for the same reason. */
  retryAfterMs?: number
}

export class AskRefusalError extends WebtensorError {
  override name = 'AskRefusalError'
}

const MAX_REFUSAL_BYTES = 1024
const MAX_REASON_CHARS = 64
const MAX_REFUSAL_MESSAGE_CHARS = 300
/** An hour: a longer "retry after" is not a hint anyone acts on. */
const MAX_RETRY_AFTER_MS = 3_600_000

/**
 * The bytes of a refusal (a CBOR map; an answer is a CBOR array, so the first byte tells them apart).
 * @example return encodeAskRefusal({ refused: 'ask_busy', message: 'answering another ask' })
 */
export function encodeAskRefusal(r: AskRefusal): Uint8Array {
  return canonicalEncode({
    refused: r.refused.slice(0, MAX_REASON_CHARS),
    message: r.message.slice(0, MAX_REFUSAL_MESSAGE_CHARS),
    ...(r.retryAfterMs === undefined ? {} : { retryAfterMs: Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.ceil(r.retryAfterMs))) }),
  })
}

/**
 * The refusal in a miner's reply, or null when the reply is not one (it is an answer envelope,
 * to be checked as such). AskRefusalError `malformed` for a map that is not a refusal.
 * @example const refusal = decodeAskRefusal(reply); if (refusal) console.log(refusal.refused)
 */
export function decodeAskRefusal(bytes: Uint8Array): AskRefusal | null {
  const major = bytes.byteLength > 0 ? bytes[0]! >> 5 : -1
  if (major !== 5) return null // CBOR major type 5 is a map
  if (bytes.byteLength > MAX_REFUSAL_BYTES) throw new AskRefusalError(`a refusal of ${bytes.byteLength} bytes (at most ${MAX_REFUSAL_BYTES})`, { code: 'malformed' })
  let value: unknown
  try {
    value = strictDecode(bytes)
  } catch (err) {
    throw new AskRefusalError('a refusal that is not strict CBOR', { code: 'malformed', cause: err })
  }
  if (
    !isPlainObject(value) ||
    keysOk(value, ['refused', 'message'], ['retryAfterMs']) !== null ||
    typeof value.refused !== 'string' || !/^[a-z0-9_]{1,64}$/.test(value.refused) ||
    typeof value.message !== 'string' || value.message.length > MAX_REFUSAL_MESSAGE_CHARS ||
    (value.retryAfterMs !== undefined && !isInt(value.retryAfterMs, 0, MAX_RETRY_AFTER_MS))
  ) {
    throw new AskRefusalError('a refusal with unknown, missing or out-of-range fields', { code: 'malformed' })
  }
  return { refused: value.refused, message: value.message, ...(value.retryAfterMs === undefined ? {} : { retryAfterMs: value.retryAfterMs }) }
}

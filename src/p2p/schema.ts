/**
 * Payload schemas per message kind: exact field sets, types, ranges (u16 uids/weights) and length
 * limits. Hand-written so the browser bundle carries no schema library. Pure.
 */
import type { MessageKind } from './envelope.ts'

export type SchemaResult = { ok: true } | { ok: false; detail: string }

/** Bounds on payload contents. A subnet has at most 4096 uids (u16 space, far above real sizes). */
export const LIMITS = {
  maxUids: 4096,
  maxIdChars: 128,
  maxLabelChars: 256,
  maxDigestChars: 256,
  /** Longest commit-reveal salt (u16s); subtensor's salts are 8 in practice. */
  maxSaltLength: 32,
  maxSessionChars: 64,
  /** An ask's prompt (characters) and how many tokens it may ask for; a miner applies its own, lower, caps. */
  maxPromptChars: 4096,
  maxAskTokens: 1024,
  maxAnswerChars: 32 * 1024,
} as const

const OK: SchemaResult = { ok: true }
const fail = (detail: string): SchemaResult => ({ ok: false, detail })

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)
}

export function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

const isStr = (v: unknown, min: number, max: number): v is string => typeof v === 'string' && v.length >= min && v.length <= max
const isU16 = (v: unknown): v is number => isInt(v, 0, 0xffff)
const isSafeUint = (v: unknown): v is number => isInt(v, 0, Number.MAX_SAFE_INTEGER)
const U64_LIMIT = 1n << 64n

/** A u64 in canonical decimal (no sign, no leading zeros), as version keys, nonces and difficulty travel. */
export function isU64Decimal(v: unknown): v is string {
  return typeof v === 'string' && /^(0|[1-9][0-9]{0,19})$/.test(v) && BigInt(v) < U64_LIMIT
}

/** A 32-byte hash as `0x` + 64 lowercase hex digits (one spelling per value, so signed bytes are unique). */
export function isHash32(v: unknown): v is string {
  return typeof v === 'string' && /^0x[0-9a-f]{64}$/.test(v)
}

function arrayOf(v: unknown, max: number, item: (x: unknown) => boolean): boolean {
  return Array.isArray(v) && v.length <= max && v.every(item)
}

/** Rejects fields outside `required ∪ optional` and missing required ones: the reason, or null when they are right. */
export function keysOk(obj: Record<string, unknown>, required: readonly string[], optional: readonly string[] = []): string | null {
  for (const k of required) if (!(k in obj)) return `missing ${k}`
  for (const k of Object.keys(obj)) if (!required.includes(k) && !optional.includes(k)) return `unknown field ${k}`
  return null
}

type Check = (p: Record<string, unknown>) => SchemaResult

const CHECKS: Record<MessageKind, Check> = {
  announce(p) {
    const bad = keysOk(p, ['role', 'agent'], ['model', 'device'])
    if (bad) return fail(bad)
    if (p.role !== 'miner' && p.role !== 'validator' && p.role !== 'owner') return fail('role')
    if (!isStr(p.agent, 0, LIMITS.maxLabelChars)) return fail('agent')
    if (p.model !== undefined && !isStr(p.model, 0, LIMITS.maxLabelChars)) return fail('model')
    if (p.device !== undefined && !isStr(p.device, 0, LIMITS.maxLabelChars)) return fail('device')
    return OK
  },
  query(p) {
    const bad = keysOk(p, ['id', 'miner', 'task', 'input'])
    if (bad) return fail(bad)
    if (!isStr(p.id, 1, LIMITS.maxIdChars)) return fail('id')
    if (!isStr(p.miner, 1, 64)) return fail('miner')
    if (!isStr(p.task, 1, LIMITS.maxLabelChars)) return fail('task')
    if (!isPlainObject(p.input)) return fail('input')
    return OK
  },
  response(p) {
    const bad = keysOk(p, ['queryId', 'validator', 'answer'])
    if (bad) return fail(bad)
    if (!isStr(p.queryId, 1, LIMITS.maxIdChars)) return fail('queryId')
    if (!isStr(p.validator, 1, 64)) return fail('validator')
    if (!isPlainObject(p.answer)) return fail('answer')
    return OK
  },
  ask(p) {
    const bad = keysOk(p, ['id', 'miner', 'prompt', 'maxNewTokens'])
    if (bad) return fail(bad)
    if (!isStr(p.id, 1, LIMITS.maxIdChars)) return fail('id')
    if (!isStr(p.miner, 1, 64)) return fail('miner')
    if (!isStr(p.prompt, 1, LIMITS.maxPromptChars)) return fail('prompt')
    if (!isInt(p.maxNewTokens, 1, LIMITS.maxAskTokens)) return fail('maxNewTokens')
    return OK
  },
  answer(p) {
    const bad = keysOk(p, ['askId', 'asker', 'text', 'tokens'])
    if (bad) return fail(bad)
    if (!isStr(p.askId, 1, LIMITS.maxIdChars)) return fail('askId')
    if (!isStr(p.asker, 1, 64)) return fail('asker')
    if (!isStr(p.text, 0, LIMITS.maxAnswerChars)) return fail('text')
    if (!isInt(p.tokens, 0, LIMITS.maxAskTokens)) return fail('tokens')
    return OK
  },
  weights(p) {
    const bad = keysOk(p, ['epoch', 'uids', 'weights', 'versionKey'])
    if (bad) return fail(bad)
    if (!isSafeUint(p.epoch)) return fail('epoch')
    if (!isU64Decimal(p.versionKey)) return fail('versionKey')
    return weightRow(p.uids, p.weights)
  },
  metagraph(p) {
    const bad = keysOk(p, ['block', 'epoch', 'tempo', 'neurons', 'chain', 'blockHash', 'difficulty'])
    if (bad) return fail(bad)
    const chain = chainSession(p.chain, ['head', 'headHash'])
    if (!chain.ok) return chain
    const c = p.chain as Record<string, unknown>
    if (!isSafeUint(c.head)) return fail('chain head')
    if (!isHash32(c.headHash)) return fail('chain headHash')
    if (!isHash32(p.blockHash)) return fail('blockHash')
    if (!isU64Decimal(p.difficulty)) return fail('difficulty')
    if (!isSafeUint(p.block)) return fail('block')
    if (!isSafeUint(p.epoch)) return fail('epoch')
    if (!isInt(p.tempo, 1, 0xffff)) return fail('tempo')
    if (!Array.isArray(p.neurons) || p.neurons.length > LIMITS.maxUids) return fail('neurons')
    const seen = new Set<number>()
    for (const n of p.neurons as unknown[]) {
      if (!isPlainObject(n)) return fail('neuron')
      const nb = keysOk(n, ['uid', 'hotkey', 'stake', 'registeredAt', 'validatorPermit', 'lastUpdate'])
      if (nb) return fail(`neuron: ${nb}`)
      if (!isU16(n.uid) || seen.has(n.uid)) return fail('neuron uid')
      seen.add(n.uid)
      if (!isStr(n.hotkey, 1, 64)) return fail('neuron hotkey')
      if (typeof n.stake !== 'string' || !/^(0|[1-9][0-9]{0,38})$/.test(n.stake)) return fail('neuron stake')
      if (!isSafeUint(n.registeredAt)) return fail('neuron registeredAt')
      if (typeof n.validatorPermit !== 'boolean') return fail('neuron validatorPermit')
      if (!isSafeUint(n.lastUpdate)) return fail('neuron lastUpdate')
    }
    return OK
  },
  epoch(p) {
    const bad = keysOk(p, ['epoch', 'block', 'incentive', 'dividends', 'digest', 'chain', 'logSeq'], ['inputDigest'])
    if (bad) return fail(bad)
    const chain = chainSession(p.chain)
    if (!chain.ok) return chain
    if (!isSafeUint(p.logSeq)) return fail('logSeq')
    if (!isSafeUint(p.epoch)) return fail('epoch')
    if (!isSafeUint(p.block)) return fail('block')
    if (!arrayOf(p.incentive, LIMITS.maxUids, isU16)) return fail('incentive')
    if (!arrayOf(p.dividends, LIMITS.maxUids, isU16)) return fail('dividends')
    if (!isStr(p.digest, 1, LIMITS.maxDigestChars)) return fail('digest')
    if (p.inputDigest !== undefined && !isStr(p.inputDigest, 1, LIMITS.maxDigestChars)) return fail('inputDigest')
    return OK
  },
  register(p) {
    const bad = keysOk(p, ['block', 'nonce', 'seal'])
    if (bad) return fail(bad)
    if (!isSafeUint(p.block)) return fail('block')
    if (!isU64Decimal(p.nonce)) return fail('nonce')
    if (!isHash32(p.seal)) return fail('seal')
    return OK
  },
  commit(p) {
    const bad = keysOk(p, ['hash'])
    if (bad) return fail(bad)
    if (!isHash32(p.hash)) return fail('hash')
    return OK
  },
  reveal(p) {
    const bad = keysOk(p, ['uids', 'weights', 'salt', 'versionKey'])
    if (bad) return fail(bad)
    if (!arrayOf(p.salt, LIMITS.maxSaltLength, isU16)) return fail('salt')
    if (!isU64Decimal(p.versionKey)) return fail('versionKey')
    return weightRow(p.uids, p.weights)
  },
}

/** u16 uids and weights of equal length, uids unique (set_weights and reveal_weights alike). */
function weightRow(uids: unknown, weights: unknown): SchemaResult {
  if (!arrayOf(uids, LIMITS.maxUids, isU16)) return fail('uids')
  if (!arrayOf(weights, LIMITS.maxUids, isU16)) return fail('weights')
  const list = uids as number[]
  if ((weights as number[]).length !== list.length) return fail('uids and weights differ in length')
  if (new Set(list).size !== list.length) return fail('duplicate uid')
  return OK
}

/** `{ genesis, session }` plus the `extra` keys the caller checks itself. */
function chainSession(v: unknown, extra: readonly string[] = []): SchemaResult {
  if (!isPlainObject(v)) return fail('chain')
  const bad = keysOk(v, ['genesis', 'session', ...extra])
  if (bad) return fail(`chain: ${bad}`)
  if (!isHash32(v.genesis)) return fail('chain genesis')
  if (!isStr(v.session, 1, LIMITS.maxSessionChars)) return fail('chain session')
  return OK
}

/** Checks a decoded payload against the schema of `kind`. */
export function validatePayload(kind: MessageKind, payload: unknown): SchemaResult {
  if (!isPlainObject(payload)) return fail('payload is not a map')
  return CHECKS[kind](payload)
}

/**
 * The signed envelope every application message travels in: canonical CBOR of the fields, signed by
 * the sender's sr25519 hotkey. The signed bytes include the libp2p peer id, which binds the hotkey
 * to the peer that authored the gossip message. Pure: no I/O.
 */
import { decode as cborDecode, encode as cborEncode, rfc8949EncodeOptions } from 'cborg'
import { u8aEq } from '@polkadot/util'
import type { Signer } from '../identity/identity.ts'
import { verifyHotkeySignature } from './verify.ts'
import { P2PError } from './errors.ts'
import { isInt, isPlainObject, validatePayload, type SchemaResult } from './schema.ts'

export type MessageKind = 'announce' | 'query' | 'response' | 'weights' | 'metagraph' | 'epoch' | 'register' | 'commit' | 'reveal' | 'ask' | 'answer'

export const MESSAGE_KINDS: readonly MessageKind[] = ['announce', 'query', 'response', 'weights', 'metagraph', 'epoch', 'register', 'commit', 'reveal', 'ask', 'answer']

/**
 * The kinds a subnet gossips. Queries, asks and their answers travel point to point (a miner's answer must
 * reach only the validator that asked), so peers neither join nor forward topics for them.
 */
export const GOSSIP_KINDS: readonly MessageKind[] = ['announce', 'weights', 'metagraph', 'epoch', 'register', 'commit', 'reveal']

/**
 * Which run of the owner's chain a message belongs to: `genesis` (hex blake2b-256) names the
 * subnet's chain, `session` one run of the owner process. A restarted owner starts a new session
 * (its block numbers may start lower), so followers tell a restart from a stale message.
 */
export interface ChainSession {
  genesis: string
  session: string
}

/** A chain session and its signed log's tip: `head` is the seq of the log's last entry, `headHash` its hash. */
export interface ChainHead extends ChainSession {
  head: number
  headHash: string
}

export interface Payloads {
  announce: { role: 'miner' | 'validator' | 'owner'; model?: string; device?: string; agent: string }
  /** A validator's query to one miner, sent point to point; `input` is the task's, checked by the task. */
  query: { id: string; miner: string; task: string; input: Record<string, unknown> }
  /** The miner's answer, returned to the validator that asked and to nobody else. */
  response: { queryId: string; validator: string; answer: Record<string, unknown> }
  /** set_weights; `versionKey` is a u64 in decimal. */
  weights: { epoch: number; uids: number[]; weights: number[] /* u16 */; versionKey: string }
  metagraph: {
    block: number
    epoch: number
    tempo: number
    neurons: { uid: number; hotkey: string; stake: string /* rao */; registeredAt: number; validatorPermit: boolean; lastUpdate: number }[]
    chain: ChainHead
    /** Hash of `block` ('0x' + 64 hex): what a registration's PoW seal is computed over. */
    blockHash: string
    /** The PoW registration difficulty, u64 in decimal. */
    difficulty: string
  }
  epoch: {
    epoch: number
    block: number
    incentive: number[]
    dividends: number[] /* u16 per uid */
    digest: string
    inputDigest?: string
    chain: ChainSession
    /** Seq of the chain log's entry that holds this epoch. */
    logSeq: number
  }
  /** A PoW registration of the envelope's hotkey: `seal` solves the difficulty at `block` with `nonce` (u64 decimal). */
  register: { block: number; nonce: string; seal: string }
  /** commit_weights: `hash` ('0x' + 64 hex) of the weights revealed later (see chain/commit-hash.ts). */
  commit: { hash: string }
  /** reveal_weights: the weights, salt and version key whose hash was committed. */
  reveal: { uids: number[]; weights: number[] /* u16 */; salt: number[] /* u16 */; versionKey: string }
  /** Anyone's prompt to one miner (`network.ask`), point to point; the miner chooses the sampling seed. */
  ask: { id: string; miner: string; prompt: string; maxNewTokens: number }
  /** The miner's answer to an ask: text only (no token ids or log-probabilities, see subnet/ask.ts). */
  answer: { askId: string; asker: string; text: string; tokens: number }
}

export interface Envelope<K extends MessageKind = MessageKind> {
  netuid: number
  kind: K
  hotkey: string
  peerId: string
  seq: number
  timestamp: number
  payload: Payloads[K]
}

/** Largest encoded envelope (wire bytes) accepted per kind; checked before decoding. */
export const MAX_WIRE_BYTES: Readonly<Record<MessageKind, number>> = {
  announce: 2 * 1024,
  query: 40 * 1024,
  response: 256 * 1024,
  weights: 64 * 1024,
  metagraph: 1024 * 1024,
  epoch: 64 * 1024,
  register: 2 * 1024,
  commit: 2 * 1024,
  reveal: 64 * 1024,
  ask: 8 * 1024,
  answer: 64 * 1024,
}

const SIGNATURE_BYTES = 64

// Strict decoding: minimal integer/length encodings, no duplicate keys, no undefined/NaN/Infinity,
// no bigints (every number we carry is a safe integer or a float), no indefinite lengths.
const DECODE_OPTIONS = {
  strict: true,
  rejectDuplicateMapKeys: true,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  allowIndefinite: false,
  useMaps: false,
} as const

/**
 * Strict CBOR decode (the rules above) of bytes from the network; P2PError `malformed` on anything else.
 * @example const value = strictDecode(bytes)
 */
export function strictDecode(bytes: Uint8Array): unknown {
  try {
    return cborDecode(bytes, DECODE_OPTIONS)
  } catch (err) {
    throw new P2PError(`not strict CBOR: ${errorText(err)}`, { code: 'malformed', cause: err })
  }
}

/** Canonical CBOR (RFC 8949 deterministic map ordering); `undefined` fields are dropped first. */
export function canonicalEncode(value: unknown): Uint8Array {
  return cborEncode(stripUndefined(value), rfc8949EncodeOptions)
}

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined)
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v)
    return out
  }
  return value
}

/** The bytes the hotkey signs: canonical CBOR of every envelope field. */
export function envelopeBody(envelope: Envelope): Uint8Array {
  const { netuid, kind, hotkey, peerId, seq, timestamp, payload } = envelope
  return canonicalEncode({ netuid, kind, hotkey, peerId, seq, timestamp, payload })
}

/**
 * Signs and encodes an envelope for the wire: CBOR `[body, signature]`.
 * @example const bytes = encodeEnvelope({ netuid: 1, kind: 'announce', ... }, hotkey)
 */
export function encodeEnvelope(envelope: Envelope, signer: Signer): Uint8Array {
  if (envelope.hotkey !== signer.address) throw new P2PError('envelope hotkey differs from the signer', { code: 'signer_mismatch' })
  const body = envelopeBody(envelope)
  const signature = signer.sign(body)
  return cborEncode([body, signature])
}

/** Why an inbound message was refused. `reject` penalises the sender in gossipsub scoring. */
export type RejectReason =
  | 'oversize'
  | 'malformed'
  | 'non_canonical'
  | 'schema'
  | 'wrong_netuid'
  | 'wrong_kind'
  | 'bad_signature'
  | 'clock_skew'
  | 'replay'
  | 'rate_limit_peer'
  | 'rate_limit_hotkey'
  | 'wrong_role' // e.g. chain state not signed by the subnet owner
  | 'no_permit' // weights, commit or reveal from a hotkey without a validator permit

/** Reasons that prove the author (or a forwarder) misbehaved; the others may be honest lateness/load. */
export const PENALISED_REASONS: ReadonlySet<RejectReason> = new Set<RejectReason>([
  'oversize',
  'malformed',
  'non_canonical',
  'schema',
  'wrong_netuid',
  'wrong_kind',
  'bad_signature',
])

export type DecodeResult =
  | { ok: true; envelope: Envelope; body: Uint8Array; signature: Uint8Array }
  | { ok: false; reason: RejectReason; detail: string }

/**
 * Decodes wire bytes and checks everything that needs no state: size for `expectedKind`, CBOR
 * strictness and canonical form, envelope and payload schema, netuid, kind. Signature is separate
 * ({@link verifyEnvelopeSignature}) so callers can rate-limit before spending CPU on it.
 */
export function decodeEnvelope(bytes: Uint8Array, expected: { netuid: number; kind: MessageKind }): DecodeResult {
  if (bytes.byteLength > MAX_WIRE_BYTES[expected.kind]) {
    return { ok: false, reason: 'oversize', detail: `${bytes.byteLength} bytes > ${MAX_WIRE_BYTES[expected.kind]}` }
  }
  let outer: unknown
  let inner: unknown
  try {
    outer = cborDecode(bytes, DECODE_OPTIONS)
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: errorText(err) }
  }
  if (!Array.isArray(outer) || outer.length !== 2 || !(outer[0] instanceof Uint8Array) || !(outer[1] instanceof Uint8Array)) {
    return { ok: false, reason: 'malformed', detail: 'not [body, signature]' }
  }
  const [body, signature] = outer as [Uint8Array, Uint8Array]
  if (signature.byteLength !== SIGNATURE_BYTES) return { ok: false, reason: 'malformed', detail: 'signature length' }
  try {
    inner = cborDecode(body, DECODE_OPTIONS)
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: errorText(err) }
  }
  const shape = validateEnvelopeShape(inner)
  if (!shape.ok) return { ok: false, reason: 'schema', detail: shape.detail }
  const envelope = inner as Envelope
  // One byte string per message: otherwise the same signed content could travel in many forms.
  if (!u8aEq(canonicalEncode(envelope), body)) return { ok: false, reason: 'non_canonical', detail: 'body is not canonical CBOR' }
  if (envelope.netuid !== expected.netuid) return { ok: false, reason: 'wrong_netuid', detail: `netuid ${envelope.netuid}` }
  if (envelope.kind !== expected.kind) return { ok: false, reason: 'wrong_kind', detail: `kind ${envelope.kind} on ${expected.kind} topic` }
  return { ok: true, envelope, body, signature }
}

/** True when `signature` is the envelope hotkey's sr25519 signature of `body`. */
export function verifyEnvelopeSignature(decoded: { envelope: Envelope; body: Uint8Array; signature: Uint8Array }): boolean {
  return verifyHotkeySignature(decoded.body, decoded.signature, decoded.envelope.hotkey)
}

const ENVELOPE_KEYS = new Set(['netuid', 'kind', 'hotkey', 'peerId', 'seq', 'timestamp', 'payload'])

function validateEnvelopeShape(value: unknown): SchemaResult {
  if (!isPlainObject(value)) return { ok: false, detail: 'envelope is not a map' }
  for (const key of Object.keys(value)) if (!ENVELOPE_KEYS.has(key)) return { ok: false, detail: `unknown field ${key}` }
  const e = value as Record<string, unknown>
  if (!isInt(e.netuid, 0, 0xffff)) return { ok: false, detail: 'netuid' }
  if (typeof e.kind !== 'string' || !(MESSAGE_KINDS as readonly string[]).includes(e.kind)) return { ok: false, detail: 'kind' }
  // SS58 sr25519 addresses are 46–48 characters; the signature check decodes them for real.
  if (typeof e.hotkey !== 'string' || e.hotkey.length < 40 || e.hotkey.length > 64) return { ok: false, detail: 'hotkey' }
  if (typeof e.peerId !== 'string' || e.peerId.length < 10 || e.peerId.length > 128) return { ok: false, detail: 'peerId' }
  if (!isInt(e.seq, 0, Number.MAX_SAFE_INTEGER)) return { ok: false, detail: 'seq' }
  if (!isInt(e.timestamp, 0, Number.MAX_SAFE_INTEGER)) return { ok: false, detail: 'timestamp' }
  return validatePayload(e.kind as MessageKind, e.payload)
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * Inbound validation with state: replay protection, clock window and rate limits on top of the
 * stateless envelope checks. Pure (the caller passes `now`), so it is unit-testable and fuzzable.
 */
import {
  decodeEnvelope,
  MAX_WIRE_BYTES,
  PENALISED_REASONS,
  verifyEnvelopeSignature,
  type Envelope,
  type MessageKind,
  type RejectReason,
} from './envelope.ts'
import { evictOldest, TokenBuckets, type RateLimit } from './rate.ts'

export type { RateLimit } from './rate.ts'

export interface GuardOptions {
  netuid: number
  /** Accept envelopes whose timestamp is within ± this of our clock (ms). */
  clockWindowMs?: number
  /**
   * Per neighbour that handed us the message (its noise handshake proves who it is), checked
   * right after the size cap, before any decoding, so a flooding neighbour costs no CBOR or
   * sr25519 work. A neighbour forwards the
   * whole subnet's traffic, so this is a cap on abuse, well above any one hotkey's rate.
   */
  peerRate?: RateLimit
  /** Per hotkey (checked after the signature, so nobody can spend another hotkey's budget). */
  hotkeyRate?: RateLimit
  /** Bound on tracked hotkeys/peers; the least recently seen are forgotten first. */
  maxTracked?: number
  /**
   * The envelope decoder (default {@link decodeEnvelope}). A seam for instrumentation and tests,
   * e.g. to count how often the guard decodes at all.
   */
  decode?: typeof decodeEnvelope
  /**
   * Who may send what (the subnet's roles: the owner's chain messages, permitted validators'
   * weights, commits and reveals), asked after decoding and before the signature, so a message from the wrong hotkey
   * costs no sr25519 work. See {@link Authorize}.
   */
  authorize?: Authorize
}

/**
 * The role check at the door: `null` lets the message on; a refusal names why and whether it
 * proves misbehaviour (`reject`, penalised by gossipsub scoring: only for rules every honest peer
 * applies identically, like "chain messages come from the owner") or may be honest lag
 * (`ignore`: a validator permit another peer still sees in an older metagraph).
 */
export type Authorize = (kind: MessageKind, hotkey: string) => { reason: 'wrong_role' | 'no_permit'; detail: string; action: 'reject' | 'ignore' } | null

export type Verdict =
  | { ok: true; envelope: Envelope; /** the signed bytes, for whoever must show them to a third party */ body: Uint8Array; signature: Uint8Array }
  | { ok: false; reason: RejectReason; detail: string; /** gossipsub action */ action: 'reject' | 'ignore' }

export const DEFAULT_CLOCK_WINDOW_MS = 60_000
export const DEFAULT_PEER_RATE: RateLimit = { perSecond: 500, burst: 2000 }
export const DEFAULT_HOTKEY_RATE: RateLimit = { perSecond: 50, burst: 200 }

/**
 * Decides, for each inbound message, whether handlers may see it.
 * @example const v = guard.check(bytes, 'query', propagationSource.toString(), Date.now())
 */
export class InboundGuard {
  readonly rejected: Record<string, number> = {}
  private readonly netuid: number
  private readonly clockWindowMs: number
  private readonly maxTracked: number
  private readonly decode: typeof decodeEnvelope
  private readonly authorize: Authorize | undefined
  private readonly peerBuckets: TokenBuckets
  private readonly hotkeyBuckets: TokenBuckets
  /** hotkey → (seq → timestamp of that envelope); entries older than the clock window are pruned. */
  private readonly seen = new Map<string, Map<number, number>>()

  constructor(options: GuardOptions) {
    this.netuid = options.netuid
    this.clockWindowMs = options.clockWindowMs ?? DEFAULT_CLOCK_WINDOW_MS
    this.maxTracked = options.maxTracked ?? 10_000
    this.peerBuckets = new TokenBuckets(options.peerRate ?? DEFAULT_PEER_RATE, this.maxTracked)
    this.hotkeyBuckets = new TokenBuckets(options.hotkeyRate ?? DEFAULT_HOTKEY_RATE, this.maxTracked)
    this.decode = options.decode ?? decodeEnvelope
    this.authorize = options.authorize
  }

  /**
   * Validates `bytes` that arrived on the `kind` topic from the neighbour `sourcePeerId`. Who
   * wrote it is the envelope's business: its hotkey signature covers the peer id it names.
   *
   * Cheapest checks first, so a flooding neighbour costs a length compare and a bucket update per
   * message: size cap for the kind → the neighbour's bucket → decode, schema and canonical form
   * (a 663 KB metagraph took 152 ms to decode) → clock → replay → role (`authorize`) → sr25519 signature → the
   * hotkey's bucket (after the signature, so nobody can spend another hotkey's budget).
   */
  check(bytes: Uint8Array, kind: MessageKind, sourcePeerId: string, now: number): Verdict {
    if (bytes.byteLength > MAX_WIRE_BYTES[kind]) return this.refuse('oversize', `${bytes.byteLength} bytes > ${MAX_WIRE_BYTES[kind]}`)
    if (!this.peerBuckets.take(sourcePeerId, now)) return this.refuse('rate_limit_peer', sourcePeerId)
    const decoded = this.decode(bytes, { netuid: this.netuid, kind })
    if (!decoded.ok) return this.refuse(decoded.reason, decoded.detail)
    const { envelope } = decoded
    if (Math.abs(envelope.timestamp - now) > this.clockWindowMs) return this.refuse('clock_skew', `${envelope.timestamp - now} ms`)
    const seqs = this.seen.get(envelope.hotkey)
    if (seqs?.has(envelope.seq)) return this.refuse('replay', `seq ${envelope.seq}`)
    const denied = this.authorize?.(kind, envelope.hotkey)
    if (denied != null) return this.refuse(denied.reason, denied.detail, denied.action)
    if (!verifyEnvelopeSignature(decoded)) return this.refuse('bad_signature', envelope.hotkey)
    if (!this.hotkeyBuckets.take(envelope.hotkey, now)) return this.refuse('rate_limit_hotkey', envelope.hotkey)
    this.remember(envelope.hotkey, envelope.seq, envelope.timestamp, now)
    return { ok: true, envelope, body: decoded.body, signature: decoded.signature }
  }

  private refuse(reason: RejectReason, detail: string, action: 'reject' | 'ignore' = PENALISED_REASONS.has(reason) ? 'reject' : 'ignore'): Verdict {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1
    return { ok: false, reason, detail, action }
  }

  private remember(hotkey: string, seq: number, timestamp: number, now: number): void {
    let seqs = this.seen.get(hotkey)
    if (seqs === undefined) {
      seqs = new Map()
    } else {
      this.seen.delete(hotkey) // re-insert below: Map order doubles as recency order
      // Anything older than the window is refused by the clock check already, so forget it.
      for (const [s, ts] of seqs) if (now - ts > this.clockWindowMs) seqs.delete(s)
    }
    seqs.set(seq, timestamp)
    this.seen.set(hotkey, seqs)
    evictOldest(this.seen, this.maxTracked)
  }
}

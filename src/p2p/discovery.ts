/**
 * Peer discovery records and the relay's directory of them. Peers publish a record (their
 * dialable addresses and free inbound slots) on {@link DISCOVERY_TOPIC}; the relay keeps the
 * latest record of each connected peer and serves the set on {@link DIRECTORY_PROTOCOL}, so a
 * newcomer learns the mesh with one request instead of every peer re-broadcasting to greet it
 * (at 100 peers those greetings were most of the CPU of a join). Gossip carries no libp2p
 * signatures (see msg-id.ts), so a gossiped record is sealed by the peer's own libp2p key and
 * dated: nobody can speak for another peer, and an old record cannot be replayed for long.
 * No I/O.
 */
import { decode as cborDecode, encode as cborEncode } from 'cborg'
import { peerIdFromString } from '@libp2p/peer-id'
import { TokenBuckets, evictOldest, type RateLimit } from './rate.ts'

/** Topic on which peers announce their dialable addresses (shared by all subnets; the relay forwards it). */
export const DISCOVERY_TOPIC = 'webtensor/_discovery/2' // 2: sealed, dated records
/** Request protocol on which the relay serves its directory. */
export const DIRECTORY_PROTOCOL = '/webtensor/discovery/directory/1'

/** What a peer says about itself. */
export interface PeerRecord {
  addrs: string[]
  /** Inbound links it still accepts; absent = unknown. */
  slots?: number
}

export interface DirectoryEntry extends PeerRecord {
  id: string
}

/** A record as gossiped: whose it is and when it was made, sealed with that peer's key. */
export interface SealedRecord extends DirectoryEntry {
  /** Creation time, ms since the epoch. */
  ts: number
}

/** Signs with the peer's libp2p private key (what `PrivateKey.sign` does). */
export type RecordSigner = (data: Uint8Array) => Uint8Array | Promise<Uint8Array>

export type OpenedRecord = { ok: true; record: SealedRecord } | { ok: false; error: 'malformed' | 'bad_signature' | 'stale' }

/** Records older than this are refused (peers re-announce every 5 minutes). */
export const RECORD_MAX_AGE_MS = 15 * 60_000
/** Records dated further ahead than this (clock skew) are refused. */
export const RECORD_MAX_AHEAD_MS = 60_000
const SEAL_DOMAIN = new TextEncoder().encode('webtensor-discovery-record:')

/** Largest sealed record accepted (checked before any parsing); `sealRecord` drops addresses to fit. */
export const MAX_RECORD_BYTES = 4096
/** Most addresses in one record; `sealRecord` keeps the first ones. */
export const MAX_RECORD_ADDRS = 32
const MAX_ADDR_CHARS = 512
/** Bytes a sealed record adds around its body: CBOR array and byte-string heads, the 64-byte signature. */
const SEAL_OVERHEAD = 8 + 64
/** Most entries in one directory answer (and accepted from one). */
export const MAX_DIRECTORY_ENTRIES = 256

const DECODE = { strict: true, allowUndefined: false, allowBigInt: false } as const

/** The record's fields with `slots` left out when unknown (CBOR has no place for undefined here). */
function recordFields(addrs: string[], slots: number | undefined): PeerRecord {
  return slots === undefined ? { addrs } : { addrs, slots }
}

function checkRecord(value: unknown): PeerRecord | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const { addrs, slots } = value as { addrs?: unknown; slots?: unknown }
  if (!Array.isArray(addrs) || addrs.length > MAX_RECORD_ADDRS) return undefined
  if (!addrs.every((a) => typeof a === 'string' && a.length <= MAX_ADDR_CHARS && a.startsWith('/'))) return undefined
  if (slots !== undefined && !(Number.isInteger(slots) && (slots as number) >= 0 && (slots as number) <= 1024)) return undefined
  return recordFields(addrs as string[], slots as number | undefined)
}

/** What the peer's key signs: the body under a domain prefix, so no other signed bytes can pass for a record. */
function sealInput(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(SEAL_DOMAIN.length + body.length)
  out.set(SEAL_DOMAIN)
  out.set(body, SEAL_DOMAIN.length)
  return out
}

/**
 * Seals `record` with the key of `record.id` (the caller's own). Keeps at most
 * {@link MAX_RECORD_ADDRS} addresses (over-long ones are left out) and drops the last ones until
 * the sealed record fits {@link MAX_RECORD_BYTES}: a record others would refuse as malformed would
 * cost its sender score with every neighbour.
 * @example const bytes = await sealRecord({ id: node.peerId.toString(), addrs, slots: 4, ts: Date.now() }, (d) => privateKey.sign(d))
 */
export async function sealRecord(record: SealedRecord, sign: RecordSigner): Promise<Uint8Array> {
  const addrs = record.addrs.filter((a) => a.length <= MAX_ADDR_CHARS && a.startsWith('/')).slice(0, MAX_RECORD_ADDRS)
  let body = cborEncode({ id: record.id, ts: record.ts, ...recordFields(addrs, record.slots) })
  while (body.length + SEAL_OVERHEAD > MAX_RECORD_BYTES && addrs.length > 0) {
    addrs.pop()
    body = cborEncode({ id: record.id, ts: record.ts, ...recordFields(addrs, record.slots) })
  }
  return cborEncode([body, await sign(sealInput(body))])
}

/** Why a record was refused: `oversize`, `malformed` and `bad_signature` prove misbehaviour; `stale` may be lateness. */
export type RecordError = 'oversize' | 'malformed' | 'bad_signature' | 'stale'

/** A record whose form and date were checked, and the signed bytes its signature must cover. */
export type ParsedRecord =
  | { ok: true; record: SealedRecord; body: Uint8Array; signature: Uint8Array }
  | { ok: false; error: Exclude<RecordError, 'bad_signature'> }

/**
 * Everything about a sealed record but its signature: size (before any parsing), CBOR form,
 * fields, and date within [now − RECORD_MAX_AGE_MS, now + RECORD_MAX_AHEAD_MS].
 */
export function parseRecord(bytes: Uint8Array, now: number): ParsedRecord {
  if (bytes.byteLength > MAX_RECORD_BYTES) return { ok: false, error: 'oversize' }
  const malformed = { ok: false, error: 'malformed' } as const
  let body: unknown
  let signature: unknown
  let fields: unknown
  try {
    const outer: unknown = cborDecode(bytes, DECODE)
    if (!Array.isArray(outer) || outer.length !== 2) return malformed
    ;[body, signature] = outer
    if (!(body instanceof Uint8Array) || !(signature instanceof Uint8Array) || signature.length !== 64) return malformed
    fields = cborDecode(body, DECODE)
  } catch {
    return malformed
  }
  const record = checkRecord(fields)
  if (record === undefined) return malformed // also when the body is null, which has no fields to read
  const { id, ts } = fields as { id?: unknown; ts?: unknown }
  if (typeof id !== 'string' || id.length === 0 || id.length > 128 || !Number.isSafeInteger(ts)) return malformed
  if (now - (ts as number) > RECORD_MAX_AGE_MS || (ts as number) - now > RECORD_MAX_AHEAD_MS) return { ok: false, error: 'stale' }
  return { ok: true, record: { id, ts: ts as number, ...record }, body, signature }
}

/** Whether the record's signature is by the key its peer id names (Ed25519 ids carry their key). */
export async function verifyRecord(parsed: { record: SealedRecord; body: Uint8Array; signature: Uint8Array }): Promise<'ok' | 'malformed' | 'bad_signature'> {
  try {
    const key = peerIdFromString(parsed.record.id).publicKey
    if (key === undefined) return 'malformed'
    return (await key.verify(sealInput(parsed.body), parsed.signature)) ? 'ok' : 'bad_signature'
  } catch {
    return 'malformed'
  }
}

/**
 * Opens a gossiped record: well-formed, signed by the key its peer id names, and dated within
 * [now − RECORD_MAX_AGE_MS, now + RECORD_MAX_AHEAD_MS].
 */
export async function openRecord(bytes: Uint8Array, now: number): Promise<OpenedRecord> {
  const parsed = parseRecord(bytes, now)
  if (!parsed.ok) return { ok: false, error: parsed.error === 'oversize' ? 'malformed' : parsed.error }
  const verdict = await verifyRecord(parsed)
  return verdict === 'ok' ? { ok: true, record: parsed.record } : { ok: false, error: verdict }
}

export interface RecordGuardOptions {
  /** Records per neighbour that forwarded them (checked before parsing). */
  neighbourRate?: RateLimit
  /** Records per owner (the peer id a record speaks for), checked before its signature. */
  ownerRate?: RateLimit
  /** Bound on tracked neighbours and owners. */
  maxTracked?: number
}

export type RecordVerdict =
  | { ok: true; record: SealedRecord }
  | { ok: false; reason: RecordError | 'rate_limit_neighbour' | 'rate_limit_owner'; /** gossipsub action */ action: 'reject' | 'ignore' }

/**
 * A neighbour may forward every peer's records (the relay does): 100/s sustained bounds the
 * Ed25519 verifications one neighbour can make us do, well above a subnet's announcements.
 */
export const DEFAULT_RECORD_NEIGHBOUR_RATE: RateLimit = { perSecond: 100, burst: 1000 }
/** A peer announces at most every 2 s (mesh.ts); more records for one owner are re-sealed spam. */
export const DEFAULT_RECORD_OWNER_RATE: RateLimit = { perSecond: 0.5, burst: 10 }

/**
 * Decides whether a gossiped discovery record may pass, cheapest checks first: size → the
 * forwarding neighbour's bucket → form and date → the owner's bucket → signature. Malformed,
 * oversize and forged records are `reject` (they cost the forwarder score); stale and
 * rate-limited ones `ignore`.
 * @example const v = await guard.check(msg.data, propagationSource.toString(), Date.now())
 */
export class RecordGuard {
  readonly rejected: Record<string, number> = {}
  private readonly neighbours: TokenBuckets
  private readonly owners: TokenBuckets

  constructor(options: RecordGuardOptions = {}) {
    const max = options.maxTracked ?? 10_000
    this.neighbours = new TokenBuckets(options.neighbourRate ?? DEFAULT_RECORD_NEIGHBOUR_RATE, max)
    this.owners = new TokenBuckets(options.ownerRate ?? DEFAULT_RECORD_OWNER_RATE, max)
  }

  async check(bytes: Uint8Array, neighbour: string, now: number): Promise<RecordVerdict> {
    if (bytes.byteLength > MAX_RECORD_BYTES) return this.refuse('oversize')
    if (!this.neighbours.take(neighbour, now)) return this.refuse('rate_limit_neighbour')
    const parsed = parseRecord(bytes, now)
    if (!parsed.ok) return this.refuse(parsed.error)
    if (!this.owners.take(parsed.record.id, now)) return this.refuse('rate_limit_owner')
    const verdict = await verifyRecord(parsed)
    return verdict === 'ok' ? { ok: true, record: parsed.record } : this.refuse(verdict)
  }

  private refuse(reason: RecordError | 'rate_limit_neighbour' | 'rate_limit_owner'): RecordVerdict {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1
    const penalised = reason === 'oversize' || reason === 'malformed' || reason === 'bad_signature'
    return { ok: false, reason, action: penalised ? 'reject' : 'ignore' }
  }
}

export function encodeDirectory(entries: DirectoryEntry[]): Uint8Array {
  return cborEncode(entries.slice(0, MAX_DIRECTORY_ENTRIES).map((e) => ({ id: e.id, ...recordFields(e.addrs, e.slots) })))
}

/** Entries of a directory answer; malformed entries are dropped, a malformed answer gives []. */
export function parseDirectory(bytes: Uint8Array): DirectoryEntry[] {
  if (bytes.byteLength > MAX_DIRECTORY_ENTRIES * MAX_RECORD_BYTES) return []
  let value: unknown
  try {
    value = cborDecode(bytes, DECODE)
  } catch {
    return []
  }
  if (!Array.isArray(value)) return []
  const out: DirectoryEntry[] = []
  for (const item of value.slice(0, MAX_DIRECTORY_ENTRIES)) {
    const id = (item as { id?: unknown } | null)?.id
    const record = checkRecord(item)
    if (typeof id === 'string' && id.length > 0 && id.length <= 128 && record !== undefined) out.push({ id, ...record })
  }
  return out
}

/** Default capacity of the relay's directory (records); the least recently heard are evicted first. */
export const DEFAULT_DIRECTORY_CAPACITY = 4096

/** The relay's memory of peer records: latest per peer, forgotten when the peer leaves or goes quiet. */
export class Directory {
  private readonly records = new Map<string, PeerRecord & { at: number; ts?: number }>()
  constructor(
    private readonly maxAgeMs = 600_000,
    /** Most records held; a new peer's record evicts the least recently heard one. */
    private readonly capacity = DEFAULT_DIRECTORY_CAPACITY,
  ) {}

  get size(): number {
    return this.records.size
  }

  /** Keeps `record` for `id` unless a record made later (`ts`) is already held. */
  heard(id: string, record: PeerRecord & { ts?: number }, now: number): void {
    const held = this.records.get(id)
    if (held?.ts !== undefined && record.ts !== undefined && held.ts > record.ts) return
    this.records.delete(id) // re-insert: the map's order is then oldest → newest
    this.records.set(id, { ...recordFields(record.addrs.slice(0, MAX_RECORD_ADDRS), record.slots), at: now, ts: record.ts })
    evictOldest(this.records, this.capacity)
  }
  forget(id: string): void {
    this.records.delete(id)
  }

  /**
   * Up to `limit` records for `requester`: those with free slots first, newest first within each
   * group (newcomers are the ones still looking for links), never the requester's own.
   */
  list(requester: string, now: number, limit = MAX_DIRECTORY_ENTRIES): DirectoryEntry[] {
    const open: DirectoryEntry[] = []
    const full: DirectoryEntry[] = []
    for (const [id, r] of [...this.records].reverse()) {
      if (now - r.at > this.maxAgeMs) {
        this.records.delete(id)
        continue
      }
      if (id === requester) continue
      ;(r.slots === 0 ? full : open).push({ id, ...recordFields(r.addrs, r.slots) })
    }
    return [...open, ...full].slice(0, limit)
  }
}

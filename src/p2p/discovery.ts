/**
 * Peer discovery records and the relay's directory of them. Peers publish a record (their
 * dialable addresses and free inbound slots) on {@link DISCOVERY_TOPIC}; the relay keeps the
 * latest record of each connected peer and serves the set on {@link DIRECTORY_PROTOCOL}, so a
 * newcomer learns the mesh with one request instead of every peer re-broadcasting to greet it
 * (at 100 peers those greetings were most of the CPU of a join). Pure: no I/O.
 */
import { decode as cborDecode, encode as cborEncode } from 'cborg'

/** Topic on which peers announce their dialable addresses (shared by all subnets; the relay forwards it). */
export const DISCOVERY_TOPIC = 'webtensor/_discovery/1'
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

export const MAX_RECORD_BYTES = 4096
const MAX_ADDRS = 32
const MAX_ADDR_CHARS = 512
/** Most entries in one directory answer (and accepted from one). */
export const MAX_DIRECTORY_ENTRIES = 256

const DECODE = { strict: true, allowUndefined: false, allowBigInt: false } as const

/** The record's fields with `slots` left out when unknown (CBOR has no place for undefined here). */
function recordFields(addrs: string[], slots: number | undefined): PeerRecord {
  return slots === undefined ? { addrs } : { addrs, slots }
}

export function encodeRecord(record: PeerRecord): Uint8Array {
  return cborEncode(recordFields(record.addrs, record.slots))
}

/** The record in `bytes`, or undefined when it is malformed or out of bounds. */
export function parseRecord(bytes: Uint8Array): PeerRecord | undefined {
  if (bytes.byteLength > MAX_RECORD_BYTES) return undefined
  let value: unknown
  try {
    value = cborDecode(bytes, DECODE)
  } catch {
    return undefined
  }
  return checkRecord(value)
}

function checkRecord(value: unknown): PeerRecord | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const { addrs, slots } = value as { addrs?: unknown; slots?: unknown }
  if (!Array.isArray(addrs) || addrs.length > MAX_ADDRS) return undefined
  if (!addrs.every((a) => typeof a === 'string' && a.length <= MAX_ADDR_CHARS && a.startsWith('/'))) return undefined
  if (slots !== undefined && !(Number.isInteger(slots) && (slots as number) >= 0 && (slots as number) <= 1024)) return undefined
  return recordFields(addrs as string[], slots as number | undefined)
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

/** The relay's memory of peer records: latest per peer, forgotten when the peer leaves or goes quiet. */
export class Directory {
  private readonly records = new Map<string, PeerRecord & { at: number }>()
  constructor(private readonly maxAgeMs = 600_000) {}

  get size(): number {
    return this.records.size
  }

  heard(id: string, record: PeerRecord, now: number): void {
    this.records.delete(id) // re-insert: the map's order is then oldest → newest
    this.records.set(id, { ...record, at: now })
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

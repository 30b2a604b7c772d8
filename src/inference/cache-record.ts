/**
 * Pure rules of the browser's model file cache (OPFS, `web/opfs-store.ts`): where a file lives,
 * when a stored file may be used without hashing it again, and how a resumed download's answer is
 * read. No I/O here; everything read back from storage or the network is hostile until checked.
 */
import { isSafeModelPath, isValidModelId } from './model-files.ts'
import { storedObject } from './stored-json.ts'

/**
 * Written beside each cached file once its bytes were hashed: what they hashed to, and the stored
 * file's size and `lastModified` at that moment. A later load that finds the same size and
 * `lastModified` (and a manifest entry with the same size and sha256) uses the file without
 * hashing it again; anything else is hashed.
 */
export interface CacheRecord {
  v: 1
  size: number
  sha256: string
  lastModified: number
}

const SHA256_HEX = /^[0-9a-f]{64}$/
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0

/** Builds the record of a file just verified (sha256 lower-cased). */
export function makeCacheRecord(size: number, sha256: string, lastModified: number): CacheRecord {
  return { v: 1, size, sha256: sha256.toLowerCase(), lastModified }
}

/** Parses a stored record; null for anything malformed (a damaged or foreign record is no record). */
export function parseCacheRecord(text: string): CacheRecord | null {
  const r = storedObject(text, 1000)
  if (r === null) return null
  if (r.v !== 1 || !isCount(r.size) || !isCount(r.lastModified) || typeof r.sha256 !== 'string' || !SHA256_HEX.test(r.sha256)) return null
  return { v: 1, size: r.size, sha256: r.sha256, lastModified: r.lastModified }
}

/**
 * Whether a stored file may be used without hashing: its record matches the file as it is now
 * (size and `lastModified`) and, when the model is pinned, the manifest entry (size and sha256).
 * Unpinned models have no expectation beyond the record itself.
 */
export function recordVouches(record: CacheRecord | null, current: { size: number; lastModified: number }, expected?: { size: number; sha256: string }): boolean {
  if (record === null) return false
  if (record.size !== current.size || record.lastModified !== current.lastModified) return false
  if (expected === undefined) return true
  return record.size === expected.size && record.sha256 === expected.sha256.toLowerCase()
}

/** A revision names a folder: a branch, tag or commit id of safe characters. */
export function isSafeRevision(revision: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(revision) && !revision.includes('..')
}

/**
 * The folder (path components under the cache root) of one model at one revision, or null when
 * the id or revision could not name a folder safely.
 * @example modelFolder('webtensor/tiny-gpt2', 'main') // ['webtensor', 'tiny-gpt2', 'main']
 */
export function modelFolder(modelId: string, revision: string): string[] | null {
  if (!isValidModelId(modelId) || !isSafeRevision(revision)) return null
  return [...modelId.split('/'), revision]
}

/** The three trees of a model folder; a manifest path names the same place in each. */
export type CacheTree = 'files' | 'partial' | 'records'

/**
 * Where `file` (a manifest path) is kept in `tree`: the folders to descend and the entry's name.
 * Finished files keep their own name under `files/`; a download in progress is `<name>.part`
 * under `partial/`, a record `<name>.json` under `records/` — separate trees, so no manifest
 * name can collide with another file's part or record. Null for an unsafe path.
 */
export function cacheEntry(tree: CacheTree, file: string): { dirs: string[]; name: string } | null {
  if (!isSafeModelPath(file)) return null
  const parts = file.split('/')
  const base = parts.pop()!
  const name = tree === 'files' ? base : tree === 'partial' ? `${base}.part` : `${base}.json`
  return { dirs: [tree, ...parts], name }
}

/**
 * Where a download of a file of `expectedSize` bytes should start given a part of `partLength`
 * bytes: its length when it is a proper prefix; 0 (start over, drop the part) when there is no
 * manifest size to check the result against or the part is longer than the file.
 */
export function resumeOffset(partLength: number, expectedSize: number | undefined): number {
  if (expectedSize === undefined || !isCount(partLength) || partLength > expectedSize) return 0
  return partLength
}

/**
 * How to read the answer to a request sent from `offset` (with `Range: bytes=<offset>-` when
 * `offset > 0`):
 * - `append`: a 206 whose `Content-Range` starts at `offset` (and, when known, totals `expectedSize`);
 * - `restart`: a 200, the whole file — the server ignored the Range; the part is dropped;
 * - `retry`: 416 (the part is not a prefix of what the server has), or a 206 for another range:
 *   drop the part and ask again from 0;
 * - `missing`: 404, try the next source;
 * - `fail`: any other status.
 */
export function rangeAnswer(
  status: number,
  contentRange: string | null,
  offset: number,
  expectedSize?: number,
): 'append' | 'restart' | 'retry' | 'missing' | 'fail' {
  if (status === 404) return 'missing'
  if (offset === 0) return status === 200 ? 'restart' : 'fail'
  if (status === 200) return 'restart'
  if (status === 416) return 'retry'
  if (status !== 206) return 'fail'
  const range = parseContentRange(contentRange)
  if (range === null || range.start !== offset) return 'retry'
  if (expectedSize !== undefined && range.total !== undefined && range.total !== expectedSize) return 'retry'
  return 'append'
}

/** Parses `Content-Range: bytes <start>-<end>/<total|*>`; null when malformed. */
export function parseContentRange(header: string | null): { start: number; end: number; total?: number } | null {
  if (header === null || header.length > 100) return null
  const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/.exec(header.trim())
  if (m === null) return null
  const start = Number(m[1])
  const end = Number(m[2])
  const total = m[3] === '*' ? undefined : Number(m[3])
  if (end < start || (total !== undefined && end >= total)) return null
  return total === undefined ? { start, end } : { start, end, total }
}

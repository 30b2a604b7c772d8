/**
 * Model files for transformers.js in a page or worker. transformers.js is pointed at a synthetic
 * host and `env.fetch` answers for it, so every byte passes through here: read from the cache
 * (OPFS, else the Cache API where OPFS is missing), else the local URL prefix, else the remote
 * host; checked against the manifest; counted for progress; cached after a successful check.
 * Downloads go to a `.part` in OPFS and resume with a Range request after an interruption; a part
 * becomes the cached file only once the whole file matched the manifest.
 */
import { rangeAnswer, resumeOffset } from '../cache-record.ts'
import { ModelIntegrityError, ModelLoadError } from '../errors.ts'
import { sha256Hex, verifyFileDigest } from '../integrity.ts'
import { isSafeModelPath, isValidModelId, remoteFileUrl } from '../model-files.ts'
import { Sha256 } from '../sha256.ts'
import type { ModelSourceOptions, ModelIntegrity } from '../types.ts'
import { clearOpfsModels, OpfsModelStore, type PartWriter } from './opfs-store.ts'

/** The host transformers.js is told to load from; never contacted on the network. */
export const SYNTHETIC_HOST = 'https://models.webtensor.invalid'
const CACHE_NAME = 'webtensor-models-v1'


export interface FetchContext extends ModelSourceOptions {
  modelId: string
  integrity?: ModelIntegrity
  /** Stops downloads; the load then fails with a `ModelLoadError` of code `cancelled`. */
  signal?: AbortSignal
  onFile(file: string, loaded: number, total: number, status: 'download' | 'load', cached?: 'trusted' | 'rehashed'): void
  /** The first refusal, kept so the loader can rethrow it even if transformers.js wraps it. */
  failure?: Error
  /**
   * Cache writes of verified files, left running while onnxruntime opens the model (they never
   * reject); the loader awaits them before it reports the model ready. Without it, each file's
   * write is awaited before its bytes are handed over.
   */
  cacheWrites?: Promise<void>[]
}

const contexts = new Map<string, FetchContext>()

/** Makes `fetchModelFile` answer for `ctx.modelId` until `release` is called. */
export function registerContext(ctx: FetchContext): () => void {
  contexts.set(ctx.modelId, ctx)
  return () => {
    if (contexts.get(ctx.modelId) === ctx) contexts.delete(ctx.modelId)
  }
}

const cacheKey = (modelId: string, file: string) => `${SYNTHETIC_HOST}/${modelId}/${file}`

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length)
  let at = 0
  for (const c of parts) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

/** Collects a download: into one preallocated buffer when its size is known, else chunks joined at the end. */
class ByteSink {
  private readonly whole: Uint8Array | null
  private readonly chunks: Uint8Array[] = []
  private at = 0
  constructor(size: number | undefined) {
    this.whole = size === undefined ? null : new Uint8Array(size)
  }
  /** The caller never pushes past a known size (it stops reading there). */
  push(chunk: Uint8Array): void {
    if (this.whole) this.whole.set(chunk, this.at)
    else this.chunks.push(chunk)
    this.at += chunk.byteLength
  }
  bytes(): Uint8Array {
    if (!this.whole) return concat(this.chunks, this.at)
    return this.at === this.whole.byteLength ? this.whole : this.whole.slice(0, this.at)
  }
}

async function readWithProgress(response: Response, onBytes: (loaded: number) => void): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(await response.arrayBuffer())
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let loaded = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    loaded += value.byteLength
    onBytes(loaded)
  }
  return concat(chunks, loaded)
}

function cancelled(ctx: FetchContext): ModelLoadError {
  return new ModelLoadError(`loading ${ctx.modelId} cancelled`, { code: 'cancelled' })
}

const isAbort = (e: unknown) => e instanceof DOMException && e.name === 'AbortError'

/** The model's cache: OPFS, else the Cache API (no partial downloads, hashed on every read), else none. */
type Store = { kind: 'opfs'; opfs: OpfsModelStore } | { kind: 'cache-api'; cache: Cache } | null

async function openStore(ctx: FetchContext, revision: string): Promise<Store> {
  if (ctx.cache === false) return null
  const opfs = await OpfsModelStore.open(ctx.modelId, revision)
  if (opfs) return { kind: 'opfs', opfs }
  if (typeof caches === 'undefined') return null
  const cache = await caches.open(CACHE_NAME).catch(() => null)
  return cache && { kind: 'cache-api', cache }
}

/** Hashes bytes as they stream in when WebCrypto is missing; with WebCrypto, once at the end (much faster than JS). */
class Digest {
  private readonly js = typeof crypto === 'undefined' || !crypto.subtle ? new Sha256() : null
  update(chunk: Uint8Array): void {
    this.js?.update(chunk)
  }
  async hex(all: Uint8Array): Promise<string> {
    return this.js ? this.js.hex() : sha256Hex(all)
  }
}

/** Gets one file's verified bytes, or null when no source has it. */
async function getFile(ctx: FetchContext, file: string, revision: string): Promise<Uint8Array | null> {
  if (!isSafeModelPath(file)) return null
  const expected = ctx.integrity?.files[file]
  // A pinned model has exactly its listed files; others (optional configs) are "not found".
  if (ctx.integrity && !expected) return null
  if (ctx.signal?.aborted) throw cancelled(ctx)
  const store = await openStore(ctx, revision)
  if (store?.kind === 'opfs') {
    const hit = await store.opfs.read(file, expected, (n, total) => ctx.onFile(file, n, expected?.size ?? total, 'load'))
    if (hit) {
      ctx.onFile(file, hit.bytes.byteLength, hit.bytes.byteLength, 'load', hit.hashed ? 'rehashed' : 'trusted')
      return hit.bytes
    }
  } else if (store?.kind === 'cache-api') {
    const key = cacheKey(ctx.modelId, file)
    const hit = await store.cache.match(key)
    if (hit) {
      const bytes = await readWithProgress(hit, (n) => ctx.onFile(file, n, expected?.size ?? n, 'load'))
      if (!ctx.integrity) return bytes
      const ok = await matchesManifest(ctx.integrity, file, bytes)
      if (ok) {
        ctx.onFile(file, bytes.byteLength, bytes.byteLength, 'load', 'rehashed')
        return bytes
      }
      await store.cache.delete(key) // stale or damaged: fetch again below
    }
  }
  const urls: { url: string; status: 'load' | 'download' }[] = []
  if (ctx.localModelPath) urls.push({ url: `${ctx.localModelPath.replace(/\/+$/, '')}/${ctx.modelId}/${file}`, status: 'load' })
  const allowRemote = ctx.allowRemote ?? ctx.remoteHost !== undefined
  if (allowRemote && ctx.remoteHost) urls.push({ url: remoteFileUrl(ctx.remoteHost, ctx.modelId, file), status: 'download' })
  for (const { url, status } of urls) {
    const got = await download(ctx, file, url, status, store)
    if (got) {
      const write =
        store?.kind === 'opfs'
          ? store.opfs.commit(file, got.bytes, got.sha256)
          : store?.kind === 'cache-api'
            ? store.cache
                .put(cacheKey(ctx.modelId, file), new Response(got.bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-length': String(got.bytes.byteLength) } }))
                .catch(() => {
                  // Quota or private mode: the model still loads, it is just fetched again next time.
                })
            : undefined
      if (write && ctx.cacheWrites) ctx.cacheWrites.push(write)
      else await write
      return got.bytes
    }
  }
  return null
}

async function matchesManifest(integrity: ModelIntegrity, file: string, bytes: Uint8Array): Promise<boolean> {
  try {
    verifyFileDigest(integrity, file, bytes.byteLength, await sha256Hex(bytes))
    return true
  } catch (e) {
    if (e instanceof ModelIntegrityError) return false
    throw e
  }
}

/**
 * Fetches `file` from `url`, resuming from its `.part` in OPFS when the model is pinned (a Range
 * request from the part's length), writing what arrives to the part, and checking the whole file
 * against the manifest. A resumed file that fails the check is fetched once more from byte 0; a
 * file that fails from byte 0 is refused. Null on 404.
 */
async function download(ctx: FetchContext, file: string, url: string, status: 'load' | 'download', store: Store): Promise<{ bytes: Uint8Array; sha256: string } | null> {
  const expected = ctx.integrity?.files[file]
  const opfs = store?.kind === 'opfs' ? store.opfs : null
  let offset = 0
  if (opfs) {
    const partLength = await opfs.partLength(file).catch(() => 0)
    offset = resumeOffset(partLength, expected?.size)
    if (offset === 0 && partLength > 0) await opfs.dropPart(file)
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const prefix = offset > 0 && opfs ? await opfs.readPart(file).catch(() => new Uint8Array(0)) : new Uint8Array(0)
    offset = Math.min(offset, prefix.byteLength)
    const digest = new Digest()
    if (offset > 0) digest.update(prefix.subarray(0, offset))
    if (expected && offset === expected.size) {
      // A whole part left by an interrupted commit: check it without the network.
      const sha256 = await digest.hex(prefix)
      if (ctx.integrity && (await matchesManifest(ctx.integrity, file, prefix))) return { bytes: prefix, sha256 }
      await opfs?.dropPart(file)
      offset = 0
      continue
    }
    let response: Response
    try {
      response = await fetch(url, { signal: ctx.signal, headers: offset > 0 ? { Range: `bytes=${offset}-` } : {} })
    } catch (e) {
      if (isAbort(e) || ctx.signal?.aborted) throw cancelled(ctx)
      throw new ModelLoadError(`fetching ${url} failed: ${(e as Error).message}`, { cause: e, code: 'download_failed' })
    }
    const answer = rangeAnswer(response.status, response.headers.get('content-range'), offset, expected?.size)
    if (answer === 'missing') {
      await response.body?.cancel()
      return null
    }
    if (answer === 'fail') {
      await response.body?.cancel()
      throw new ModelLoadError(`fetching ${url}: HTTP ${response.status}`, { code: 'download_failed' })
    }
    if (answer === 'retry') {
      await response.body?.cancel()
      await opfs?.dropPart(file)
      offset = 0
      continue
    }
    const from = answer === 'append' ? offset : 0
    const total = expected?.size ?? from + Number(response.headers.get('content-length') ?? 0)
    // With a manifest the size is known: bytes go straight into one buffer of that size (no list of
    // chunks joined at the end, which held the file twice in memory).
    const sink = new ByteSink(expected?.size)
    if (from > 0) sink.push(prefix.subarray(0, from))
    const hasher = from > 0 ? digest : new Digest()
    // Unpinned files have nothing to check a resumed prefix against, so they are not kept in parts.
    let writer: PartWriter | null = opfs && expected ? await opfs.openPart(file, from) : null
    let partBroken = false
    // A storage failure (quota, a lost lock) stops the part, never the download.
    const keep = async (chunk: Uint8Array) => {
      try {
        await writer?.write(chunk)
      } catch {
        await writer?.close().catch(() => undefined)
        writer = null
        partBroken = true
      }
    }
    let loaded = from
    let complete = false
    try {
      if (response.body) {
        const reader = response.body.getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          loaded += value.byteLength
          // A server sending more than the manifest's size is not sending this file.
          if (expected && loaded > expected.size) {
            await reader.cancel()
            break
          }
          sink.push(value)
          hasher.update(value)
          await keep(value)
          ctx.onFile(file, loaded, total, status)
        }
      }
      complete = true
    } catch (e) {
      if (isAbort(e) || ctx.signal?.aborted) throw cancelled(ctx)
      throw new ModelLoadError(`fetching ${url} failed: ${(e as Error).message}`, { cause: e, code: 'download_failed' })
    } finally {
      if (!complete) await writer?.close().catch(() => undefined)
    }
    const oversize = expected !== undefined && loaded > expected.size
    const bytes = sink.bytes()
    // WebCrypto hashes off this thread: started first, it runs while the part is closed.
    const hashing = oversize || ctx.signal?.aborted ? null : hasher.hex(bytes)
    hashing?.catch(() => undefined) // awaited below unless a cancel comes first
    await writer?.close().catch(() => undefined)
    if (partBroken) await opfs?.dropPart(file)
    if (ctx.signal?.aborted) throw cancelled(ctx)
    if (oversize || !hashing) {
      await opfs?.dropPart(file)
      throw new ModelIntegrityError(file, `the server sent more than the manifest's ${expected?.size} bytes`)
    }
    const sha256 = await hashing
    if (ctx.integrity) {
      try {
        verifyFileDigest(ctx.integrity, file, bytes.byteLength, sha256)
      } catch (e) {
        await opfs?.dropPart(file)
        // A resumed file may have failed for its old part: once more from byte 0.
        if (from > 0) {
          offset = 0
          continue
        }
        throw e
      }
    }
    return { bytes, sha256 }
  }
  throw new ModelLoadError(`fetching ${url}: no consistent answer after retries`, { code: 'download_failed' })
}

/** The `env.fetch` transformers.js uses: synthetic-host URLs are ours, anything else is passed on. */
export async function fetchModelFile(input: string | URL, init?: RequestInit): Promise<Response> {
  const url = String(input)
  if (!url.startsWith(`${SYNTHETIC_HOST}/`)) return fetch(input, init)
  // transformers.js builds <host>/<owner>/<name>/resolve/<revision>/<file>.
  const m = /^([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.slice(SYNTHETIC_HOST.length + 1))
  const ctx = m ? contexts.get(m[1]) : undefined
  if (!m || !ctx || !isValidModelId(m[1])) return new Response(null, { status: 404 })
  try {
    const bytes = await getFile(ctx, decodeURIComponent(m[3]), m[2])
    if (!bytes) return new Response(null, { status: 404 })
    const response = new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(bytes.byteLength) } })
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
      // transformers.js reads a model file with arrayBuffer() and hands it to onnxruntime: give it
      // our verified buffer (nobody else holds it) instead of a second copy of a model-sized file.
      Object.defineProperty(response, 'arrayBuffer', { value: () => Promise.resolve(bytes.buffer) })
    }
    return response
  } catch (e) {
    ctx.failure ??= e as Error
    throw e
  }
}

/** Removes every cached model file (OPFS and the Cache API), partial downloads included. */
export async function clearModelCache(): Promise<void> {
  await clearOpfsModels()
  if (typeof caches !== 'undefined') await caches.delete(CACHE_NAME)
}

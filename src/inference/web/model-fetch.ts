/**
 * Model files for transformers.js in a page or worker. transformers.js is pointed at a synthetic
 * host and `env.fetch` answers for it, so every byte passes through here: read from the Cache API,
 * else the local URL prefix, else the remote host; checked against the manifest; counted for
 * progress; cached after a successful check.
 */
import { ModelIntegrityError, ModelLoadError } from '../errors.ts'
import { verifyFileBytes } from '../integrity.ts'
import { isSafeModelPath, isValidModelId, remoteFileUrl } from '../model-files.ts'
import type { ModelSourceOptions, ModelIntegrity } from '../types.ts'

/** The host transformers.js is told to load from; never contacted on the network. */
export const SYNTHETIC_HOST = 'https://models.webtensor.invalid'
const CACHE_NAME = 'webtensor-models-v1'

export interface FetchContext extends ModelSourceOptions {
  modelId: string
  integrity?: ModelIntegrity
  onFile(file: string, loaded: number, total: number, status: 'download' | 'load'): void
  /** The first refusal, kept so the loader can rethrow it even if transformers.js wraps it. */
  failure?: Error
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
  const out = new Uint8Array(loaded)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

async function openCache(ctx: FetchContext): Promise<Cache | null> {
  if (ctx.cache === false || typeof caches === 'undefined') return null
  return caches.open(CACHE_NAME).catch(() => null)
}

/** Gets one file's verified bytes, or null when no source has it. */
async function getFile(ctx: FetchContext, file: string): Promise<Uint8Array | null> {
  if (!isSafeModelPath(file)) return null
  const expected = ctx.integrity?.files[file]
  // A pinned model has exactly its listed files; others (optional configs) are "not found".
  if (ctx.integrity && !expected) return null
  const check = async (bytes: Uint8Array) => {
    if (ctx.integrity) await verifyFileBytes(ctx.integrity, file, bytes)
  }
  const cache = await openCache(ctx)
  const key = cacheKey(ctx.modelId, file)
  const hit = await cache?.match(key)
  if (hit) {
    const bytes = await readWithProgress(hit, (n) => ctx.onFile(file, n, expected?.size ?? n, 'load'))
    try {
      await check(bytes)
      return bytes
    } catch (e) {
      if (!(e instanceof ModelIntegrityError)) throw e
      await cache?.delete(key) // stale or damaged: fetch again below
    }
  }
  const urls: { url: string; status: 'load' | 'download' }[] = []
  if (ctx.localModelPath) urls.push({ url: `${ctx.localModelPath.replace(/\/+$/, '')}/${ctx.modelId}/${file}`, status: 'load' })
  const allowRemote = ctx.allowRemote ?? ctx.remoteHost !== undefined
  if (allowRemote && ctx.remoteHost) urls.push({ url: remoteFileUrl(ctx.remoteHost, ctx.modelId, file), status: 'download' })
  for (const { url, status } of urls) {
    let response: Response
    try {
      response = await fetch(url)
    } catch (e) {
      throw new ModelLoadError(`fetching ${url} failed: ${(e as Error).message}`, { cause: e, code: 'download_failed' })
    }
    if (response.status === 404) continue
    if (!response.ok) throw new ModelLoadError(`fetching ${url}: HTTP ${response.status}`, { code: 'download_failed' })
    const total = expected?.size ?? Number(response.headers.get('content-length') ?? 0)
    const bytes = await readWithProgress(response, (n) => ctx.onFile(file, n, total, status))
    await check(bytes)
    await cache?.put(key, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-length': String(bytes.byteLength) } })).catch(() => {
      // Quota or private mode: the model still loads, it is just fetched again next time.
    })
    return bytes
  }
  return null
}

/** The `env.fetch` transformers.js uses: synthetic-host URLs are ours, anything else is passed on. */
export async function fetchModelFile(input: string | URL, init?: RequestInit): Promise<Response> {
  const url = String(input)
  if (!url.startsWith(`${SYNTHETIC_HOST}/`)) return fetch(input, init)
  // transformers.js builds <host>/<owner>/<name>/resolve/<revision>/<file>.
  const m = /^([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(url.slice(SYNTHETIC_HOST.length + 1))
  const ctx = m ? contexts.get(m[1]) : undefined
  if (!m || !ctx || !isValidModelId(m[1])) return new Response(null, { status: 404 })
  try {
    const bytes = await getFile(ctx, decodeURIComponent(m[2]))
    if (!bytes) return new Response(null, { status: 404 })
    return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(bytes.byteLength) } })
  } catch (e) {
    ctx.failure ??= e as Error
    throw e
  }
}

/** Removes every cached model file (Cache API) — for tests and a "clear cache" button. */
export async function clearModelCache(): Promise<void> {
  if (typeof caches !== 'undefined') await caches.delete(CACHE_NAME)
}

import { createHash } from 'node:crypto'

/** A JSON body that is already serialised (e.g. received from another process): sent as is. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** Wraps JSON text that must not be serialised again. */
export const rawJson = (text: string): RawJson => new RawJson(text)

/**
 * A JSON endpoint. Its body is serialised once and reused until `version()` changes or `ttlMs`
 * passes, whichever comes first; with neither, it is produced on every request.
 * @example { get: () => owner.recentEpochs(), version: () => owner.epoch }
 */
export interface ApiEndpoint {
  /** The body: a value to serialise (bigints become decimal strings), or a `RawJson`. */
  get(): unknown
  /** Changes whenever `get()` would return something different. */
  version?(): number | string
  /** Reuse the serialised body at most this long. */
  ttlMs?: number
}

/** JSON text of `value`, with bigints as decimal strings (JSON has no big integers). */
export function serialiseJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null'
}

/** A route's producer: an endpoint, or a bare function (uncached). */
export type ApiRoute = ApiEndpoint | (() => unknown)

/** A serialised body and its strong ETag (a hash of the bytes). */
export interface ApiBody {
  body: Buffer
  etag: string
}

export interface ApiCache {
  /** The body of `path`'s endpoint (from the cache when still valid); undefined for no such endpoint. Throws what the producer throws. */
  body(path: string): ApiBody | undefined
  /** How many times each path was serialised (for tests and benchmarks). */
  readonly serialisations: Readonly<Record<string, number>>
}

/** Serialises the API routes' bodies, each at most once per version/TTL. */
export function createApiCache(routes: Record<string, ApiRoute>, now: () => number = Date.now): ApiCache {
  const endpoints = new Map<string, ApiEndpoint>(Object.entries(routes).map(([p, r]) => [p, typeof r === 'function' ? { get: r } : r]))
  const cached = new Map<string, ApiBody & { version: number | string | undefined; at: number }>()
  const serialisations: Record<string, number> = {}
  return {
    serialisations,
    body(path) {
      const endpoint = endpoints.get(path)
      if (endpoint === undefined) return undefined
      const version = endpoint.version?.()
      const hit = cached.get(path)
      const cacheable = endpoint.version !== undefined || endpoint.ttlMs !== undefined
      if (hit !== undefined && cacheable && hit.version === version && (endpoint.ttlMs === undefined || now() - hit.at < endpoint.ttlMs)) return hit
      const value = endpoint.get()
      const body = Buffer.from(value instanceof RawJson ? value.text : serialiseJson(value))
      serialisations[path] = (serialisations[path] ?? 0) + 1
      const fresh = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, version, at: now() }
      if (cacheable) cached.set(path, fresh)
      return fresh
    },
  }
}

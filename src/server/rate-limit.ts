/** Token-bucket settings: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimitOptions {
  burst: number
  perSecond: number
  /** Most clients remembered; the least recently seen is forgotten first (bounded memory). */
  maxClients: number
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 60, perSecond: 20, maxClients: 10_000 }

/** The verdict on one request: allowed, or refused with the seconds until a token is back. */
export type RateVerdict = { ok: true } | { ok: false; retryAfterS: number }

export interface RateLimiter {
  take(key: string): RateVerdict
  /** How many clients are remembered (for tests and metrics). */
  readonly size: number
}

/**
 * A token bucket per client key, kept in a Map used as an LRU: each hit moves the key to the end,
 * and beyond `maxClients` the oldest is dropped. A forgotten client starts again with a full
 * bucket, which is the price of bounded memory; `maxClients` is sized so that only a flood of
 * distinct addresses can cause it. Pure apart from the injected clock.
 */
export function createRateLimiter(options: RateLimitOptions = DEFAULT_RATE_LIMIT, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    get size() {
      return buckets.size
    },
    take(key) {
      const t = now()
      let b = buckets.get(key)
      if (b === undefined) {
        b = { tokens: options.burst, at: t }
      } else {
        buckets.delete(key)
        b.tokens = Math.min(options.burst, b.tokens + ((t - b.at) / 1000) * options.perSecond)
        b.at = t
      }
      buckets.set(key, b)
      if (buckets.size > options.maxClients) buckets.delete(buckets.keys().next().value!)
      if (b.tokens >= 1) {
        b.tokens -= 1
        return { ok: true }
      }
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / options.perSecond)) }
    },
  }
}

/**
 * Token buckets keyed by a string (a neighbour's peer id, a hotkey, a record owner), bounded in
 * number: the least recently used are forgotten first, so a stream of fresh keys cannot grow
 * memory. Pure: the caller passes `now`.
 */

export interface RateLimit {
  /** Sustained events per second. */
  perSecond: number
  /** Bucket size: events allowed in a burst. */
  burst: number
}

interface Bucket {
  tokens: number
  last: number
}

/** One token bucket per key, for at most `maxKeys` keys. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()
  constructor(
    private readonly rate: RateLimit,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token from `key`'s bucket; false (and nothing taken) when it is empty. */
  take(key: string, now: number): boolean {
    let b = this.buckets.get(key)
    if (b === undefined) b = { tokens: this.rate.burst, last: now }
    else this.buckets.delete(key) // re-insert below: Map order doubles as recency order
    b.tokens = Math.min(this.rate.burst, b.tokens + (Math.max(0, now - b.last) / 1000) * this.rate.perSecond)
    b.last = now
    this.buckets.set(key, b)
    evictOldest(this.buckets, this.maxKeys)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  get size(): number {
    return this.buckets.size
  }
}

/** Deletes the first-inserted entries of `map` until it holds at most `max`. */
export function evictOldest<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const first = map.keys().next()
    if (first.done === true) return
    map.delete(first.value)
  }
}

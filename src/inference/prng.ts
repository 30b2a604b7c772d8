/**
 * Seeded pseudo-random numbers with only integer and exact float arithmetic, so a given seed gives
 * the same stream in every JS engine (no Math.log/Math.cos, whose last bits may differ).
 */

/** 32-bit FNV-1a of a string, used to derive one independent stream per tensor name. */
export function fnv1a32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** mulberry32: small, fast, good enough for weights and sampling; `next()` is in [0, 1). */
export class Prng {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0
  }
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** Uniform in [0, 1), exactly k / 2^32. */
  next(): number {
    return this.nextUint32() / 4294967296
  }
}

/** A stream for one named tensor of a model built from `seed`. */
export function streamFor(seed: number, name: string): Prng {
  return new Prng(fnv1a32(name, fnv1a32(String(seed))))
}

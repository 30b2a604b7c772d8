import { prng } from '../scoring/yuma/synthetic.ts'

/**
 * A seeded random source for simulations: the mulberry32 of `syntheticEpochInput`, with the few
 * draws a simulation needs. Each concern gets its own stream (`Rng.stream`), so changing one
 * behaviour's draws does not shift every other one — and Yuma variants of one scenario see the same
 * miners, noise and faults.
 */
export class Rng {
  private readonly next: () => number
  private spare: number | null = null

  constructor(seed: number) {
    this.next = prng(seed)
  }

  /** An independent stream for `label` under `seed` (FNV-1a of the label mixed into the seed). */
  static stream(seed: number, label: string): Rng {
    let h = 0x811c9dc5
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193)
    return new Rng((seed ^ h) >>> 0)
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.next()
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next()
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare
      this.spare = null
      return s
    }
    let u = 0
    while (u === 0) u = this.next()
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** `k` distinct indices of [0, n), in random order (partial Fisher–Yates). */
  sample(n: number, k: number): number[] {
    const idx = Array.from({ length: n }, (_, i) => i)
    const m = Math.min(k, n)
    for (let i = 0; i < m; i++) {
      const j = i + this.int(n - i)
      ;[idx[i], idx[j]] = [idx[j]!, idx[i]!]
    }
    return idx.slice(0, m)
  }
}

/** `x` clamped to [0, 1]. */
export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x
}

/**
 * Pure log-probability helpers over one row of logits. Sums run in float64 so the result does not
 * depend on the backend's float32 reductions.
 */
import { Prng } from './prng.ts'

/** log Σ exp(row) computed stably (max-shifted, in float64). */
export function logSumExp(row: ArrayLike<number>): number {
  let max = -Infinity
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i]
  let sum = 0
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max)
  return max + Math.log(sum)
}

/** Index of the largest logit; ties go to the lowest index (as in `torch.argmax`). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i
  return best
}

/** The `k` largest entries as `[index, logprob]`, best first (ties: lower index first). */
export function topLogprobs(row: ArrayLike<number>, k: number, lse = logSumExp(row)): [number, number][] {
  const n = Math.min(k, row.length)
  if (n <= 0) return []
  // A small sorted buffer beats sorting 50k logits for the usual k ≤ 20.
  const best: number[] = []
  for (let i = 0; i < row.length; i++) {
    if (best.length < n) best.push(i)
    else if (row[i] > row[best[n - 1]]) best[n - 1] = i
    else continue
    for (let j = best.length - 1; j > 0 && row[best[j - 1]] < row[best[j]]; j--) {
      const t = best[j - 1]
      best[j - 1] = best[j]
      best[j] = t
    }
  }
  return best.map((i) => [i, row[i] - lse])
}

/**
 * Draws an index from softmax(row / temperature) with `rng`. Deterministic for a given row and
 * stream: the cumulative sum is walked in index order in float64.
 */
export function sampleIndex(row: ArrayLike<number>, temperature: number, rng: Prng): number {
  let max = -Infinity
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i]
  const weights = new Float64Array(row.length)
  let sum = 0
  for (let i = 0; i < row.length; i++) {
    weights[i] = Math.exp((row[i] - max) / temperature)
    sum += weights[i]
  }
  let u = rng.next() * sum
  for (let i = 0; i < row.length; i++) {
    u -= weights[i]
    if (u < 0) return i
  }
  return argmax(row)
}

/** Mean of the rows of `hidden` ([seq, dim], row-major) where `mask` is 1, scaled to unit length. */
export function meanPoolNormalize(hidden: ArrayLike<number>, mask: ArrayLike<number>, seq: number, dim: number): number[] {
  const out = new Float64Array(dim)
  let count = 0
  for (let t = 0; t < seq; t++) {
    if (!mask[t]) continue
    count++
    for (let d = 0; d < dim; d++) out[d] += hidden[t * dim + d]
  }
  let norm = 0
  for (let d = 0; d < dim; d++) {
    out[d] /= Math.max(count, 1)
    norm += out[d] * out[d]
  }
  norm = Math.sqrt(norm) || 1
  return Array.from(out, (v) => v / norm)
}

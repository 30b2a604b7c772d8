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

let scratch = new Float64Array(0)

/**
 * What a verifier needs to check one sampled token: replays `sampleIndex` (same weights, same
 * float64 walk, one draw from `rng`) and returns the token it picks first, then every other token
 * whose share of the cumulative mass lies within `massTolerance` (a fraction of the total) of the
 * draw. Another backend's float noise can move the boundaries by about that much, so a token in
 * this list is an honest pick; anything else is not. Usually the list has one entry.
 * @example sampleCandidates(row, 0.8, new Prng(seed), 2e-3) // → [chosen, …near-boundary ids]
 */
export function sampleCandidates(row: ArrayLike<number>, temperature: number, rng: Prng, massTolerance: number): number[] {
  let max = -Infinity
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i]
  // One buffer reused across calls: a verifier replays every position of every answer.
  if (scratch.length < row.length) scratch = new Float64Array(row.length)
  const weights = scratch
  let sum = 0
  for (let i = 0; i < row.length; i++) {
    weights[i] = Math.exp((row[i] - max) / temperature)
    sum += weights[i]
  }
  const u = rng.next() * sum
  const lo = u - massTolerance * sum
  const hi = u + massTolerance * sum
  let picked = -1
  const near: number[] = []
  let rest = u // the very subtractions sampleIndex makes, so the pick is bit-identical
  let before = 0
  for (let i = 0; i < row.length; i++) {
    const after = before + weights[i]
    if (picked < 0 && (rest -= weights[i]) < 0) picked = i
    else if (weights[i] > 0 && after > lo && before < hi) near.push(i)
    before = after
    if (before > hi && picked >= 0) break
  }
  if (picked < 0) picked = argmax(row) // as sampleIndex: rounding left u past the last weight
  return [picked, ...near.filter((i) => i !== picked)]
}

/** The greedy counterpart: the argmax first, then every token whose logit is within `logitTolerance` of it. */
export function greedyCandidates(row: ArrayLike<number>, logitTolerance: number): number[] {
  const best = argmax(row)
  const out = [best]
  for (let i = 0; i < row.length; i++) if (i !== best && row[i] >= row[best] - logitTolerance) out.push(i)
  return out
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

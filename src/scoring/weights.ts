/** The largest u16, the scale of every weight and every stored proportion on the chain. */
export const U16_MAX = 65535

/**
 * Max-upscales a weight vector to u16 the way subtensor's `set_weights` stores it: the largest
 * entry becomes 65535 and the others scale with it, rounding half away from zero. An all-zero
 * vector stays zero.
 * @example maxUpscaleU16([1, 2]) // [32768, 65535]
 */
export function maxUpscaleU16(values: readonly number[]): number[] {
  let max = 0
  for (const v of values) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`weights must be finite and >= 0, got ${v}`)
    if (v > max) max = v
  }
  if (max === 0) return values.map(() => 0)
  // Integers go through exact integer arithmetic; fractional scores through floats, then the same rule.
  if (values.every(Number.isInteger) && max * 2 * U16_MAX < Number.MAX_SAFE_INTEGER) {
    return values.map((v) => Math.floor((2 * v * U16_MAX + max) / (2 * max)))
  }
  return values.map((v) => Math.min(U16_MAX, Math.floor((v / max) * U16_MAX + 0.5)))
}

/**
 * Turns per-uid scores into the sparse `(uids, weights)` pair a validator sets: uids sorted,
 * zero or missing scores left out, weights max-upscaled to u16.
 */
export function weightsFromScores(scores: ReadonlyMap<number, number>): { uids: number[]; weights: number[] } {
  const uids = [...scores.entries()].filter(([, s]) => s > 0).map(([uid]) => uid).sort((a, b) => a - b)
  const weights = maxUpscaleU16(uids.map((uid) => scores.get(uid)!))
  const keep = weights.map((w, i) => (w > 0 ? i : -1)).filter((i) => i >= 0)
  return { uids: keep.map((i) => uids[i]!), weights: keep.map((i) => weights[i]!) }
}

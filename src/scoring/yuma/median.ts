import { divPos } from './fixed.ts'

/** A sparse row: parallel uid / I32F32-bits arrays. */
export interface Row {
  c: number[]
  v: number[]
}

function normalize(x: number[]): void {
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i]
  if (s === 0) return
  for (let i = 0; i < x.length; i++) x[i] = divPos(x[i], s)
}

/**
 * `weighted_median`: the chain's deterministic mid-pivot quick-select over `idx`. Stake sums are
 * plain additions of bits, so they are exact.
 */
export function weightedMedian(stake: ArrayLike<number>, score: ArrayLike<number>, idx: number[], minority: number, lo: number, hi: number): number {
  const m = idx.length
  const cur = Int32Array.from(idx)
  return medianIn(stake, score, cur, m, minority, lo, hi, new Int32Array(m), new Int32Array(m))
}

/**
 * The same algorithm on preallocated buffers: `cur[0..len)` holds the partition; lower/upper keep
 * the chain's element order (stable), so every pivot choice is the chain's.
 */
function medianIn(stake: ArrayLike<number>, score: ArrayLike<number>, cur: Int32Array, len: number, minority: number, lo: number, hi: number, lower: Int32Array, upper: Int32Array): number {
  const limit = len
  let iterations = 0
  for (;;) {
    if (len === 0) return 0
    if (len === 1) return score[cur[0]]
    const pivot = score[cur[len >> 1]]
    let loStake = 0
    let hiStake = 0
    let nl = 0
    let nu = 0
    for (let t = 0; t < len; t++) {
      const k = cur[t]
      const s = score[k]
      if (s === pivot) continue
      if (s < pivot) { loStake += stake[k]; lower[nl++] = k } else { hiStake += stake[k]; upper[nu++] = k }
    }
    if (minority < lo + loStake && nl > 0) {
      cur.set(lower.subarray(0, nl))
      len = nl
      hi = lo + loStake
    } else if (hi - hiStake <= minority && nu > 0) {
      cur.set(upper.subarray(0, nu))
      len = nu
      lo = hi - hiStake
    } else {
      return pivot
    }
    iterations++
    if (iterations > limit) return 0
  }
}

/** `weighted_median_col_sparse`: per-column stake-weighted median of I32F32 scores (kappa = majority). */
export function weightedMedianColSparse(activeStake: ArrayLike<number>, weights: Row[], n: number, kappa: number, normalizeStake: (x: number[]) => void = normalize): number[] {
  const rows = Math.min(activeStake.length, weights.length)
  const useStake: number[] = []
  const rowSlot = new Int32Array(rows).fill(-1)
  for (let i = 0; i < rows; i++) if (activeStake[i] > 0) { rowSlot[i] = useStake.length; useStake.push(activeStake[i]) }
  normalizeStake(useStake)
  const m = useStake.length
  let stakeSum = 0
  for (const s of useStake) stakeSum += s
  const minority = stakeSum - kappa
  const cur = new Int32Array(m)
  const lower = new Int32Array(m)
  const upper = new Int32Array(m)
  // Column-major scores; columns nobody voted on have a median of 0 (all scores are 0).
  const cols: Float64Array[] = new Array(n)
  for (let i = 0; i < rows; i++) {
    const slot = rowSlot[i]
    if (slot < 0) continue
    const r = weights[i]
    for (let k = 0; k < r.c.length; k++) {
      const j = r.c[k]
      if (j >= n) continue
      let col = cols[j]
      if (col === undefined) { col = new Float64Array(m); cols[j] = col }
      col[slot] = r.v[k]
    }
  }
  const consensus = new Array<number>(n).fill(0)
  for (let j = 0; j < n; j++) {
    const col = cols[j]
    if (col === undefined) continue
    for (let k = 0; k < m; k++) cur[k] = k
    consensus[j] = medianIn(useStake, col, cur, m, minority, 0, stakeSum, lower, upper)
  }
  return consensus
}


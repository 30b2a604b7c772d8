import * as fixed from './fixed.ts'

// Read once: imported names can compile to getters (tsx), too slow for inner loops.
const { divPos } = fixed

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
    // Swap buffers instead of copying: `subarray` allocated a view per step.
    if (minority < lo + loStake && nl > 0) {
      const t = cur; cur = lower; lower = t
      len = nl
      hi = lo + loStake
    } else if (hi - hiStake <= minority && nu > 0) {
      const t = cur; cur = upper; upper = t
      len = nu
      lo = hi - hiStake
    } else {
      return pivot
    }
    iterations++
    if (iterations > limit) return 0
  }
}

/**
 * `weighted_median_col_sparse`: per-column stake-weighted median of I32F32 scores (kappa = majority).
 *
 * The chain runs its quick-select over every positive-stake row of every column, zeros included.
 * Its answer does not depend on the pivot path: it is the smallest score v with
 * stake(score <= v) > S - kappa (or the largest score if none), all sums exact. So each column
 * here holds only its non-zero scores plus one entry for all zero-score rows (their summed stake),
 * and runs the same quick-select on that: the same result in O(non-zeros) instead of O(rows).
 */
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
  const consensus = new Array<number>(n).fill(0)
  if (m === 0) return consensus

  // Column-compressed non-zero scores of the voting rows.
  const count = new Int32Array(n + 1)
  for (let i = 0; i < rows; i++) {
    if (rowSlot[i] < 0) continue
    const r = weights[i]
    for (let k = 0; k < r.c.length; k++) if (r.c[k] < n && r.v[k] !== 0) count[r.c[k] + 1]++
  }
  for (let j = 0; j < n; j++) count[j + 1] += count[j]
  const nnz = count[n]
  const fill = count.slice(0, n)
  const score = new Float64Array(nnz)
  const weight = new Float64Array(nnz)
  for (let i = 0; i < rows; i++) {
    const slot = rowSlot[i]
    if (slot < 0) continue
    const r = weights[i]
    for (let k = 0; k < r.c.length; k++) {
      const j = r.c[k]
      if (j >= n || r.v[k] === 0) continue
      const at = fill[j]++
      score[at] = r.v[k]
      weight[at] = useStake[slot]
    }
  }

  let widest = 0
  for (let j = 0; j < n; j++) widest = Math.max(widest, count[j + 1] - count[j])
  const colScore = new Float64Array(widest + 1)
  const colStake = new Float64Array(widest + 1)
  const cur = new Int32Array(widest + 1)
  const lower = new Int32Array(widest + 1)
  const upper = new Int32Array(widest + 1)
  for (let j = 0; j < n; j++) {
    const start = count[j]
    const k = count[j + 1] - start
    if (k === 0) continue // every voter scores 0: the median is 0
    let positive = 0
    for (let t = 0; t < k; t++) {
      colScore[t] = score[start + t]
      colStake[t] = weight[start + t]
      positive += weight[start + t]
    }
    let len = k
    if (k < m) {
      colScore[len] = 0
      colStake[len] = stakeSum - positive
      len++
    }
    for (let t = 0; t < len; t++) cur[t] = t
    consensus[j] = medianIn(colStake, colScore, cur, len, minority, 0, stakeSum, lower, upper)
  }
  return consensus
}

import { div } from './fixed.ts'

/** A sparse row: parallel uid / I32F32-bits arrays. */
export interface Row {
  c: number[]
  v: number[]
}

function normalize(x: number[]): void {
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i]
  if (s === 0) return
  for (let i = 0; i < x.length; i++) x[i] = div(x[i], s)
}

/**
 * `weighted_median`: the chain's deterministic mid-pivot quick-select over `idx`. Stake sums are
 * plain additions of bits, so they are exact.
 */
export function weightedMedian(stake: number[], score: number[], idx: number[], minority: number, lo: number, hi: number): number {
  let cur = idx
  const limit = idx.length
  let iterations = 0
  const lower: number[] = []
  const upper: number[] = []
  for (;;) {
    const len = cur.length
    if (len === 0) return 0
    if (len === 1) return score[cur[0]]
    const pivot = score[cur[len >> 1]]
    let loStake = 0
    let hiStake = 0
    lower.length = 0
    upper.length = 0
    for (let t = 0; t < len; t++) {
      const k = cur[t]
      const s = score[k]
      if (s === pivot) continue
      if (s < pivot) { loStake += stake[k]; lower.push(k) } else { hiStake += stake[k]; upper.push(k) }
    }
    if (minority < lo + loStake && lower.length > 0) {
      cur = lower.slice()
      hi = lo + loStake
    } else if (hi - hiStake <= minority && upper.length > 0) {
      cur = upper.slice()
      lo = hi - hiStake
    } else {
      return pivot
    }
    iterations++
    if (iterations > limit) return 0
  }
}

/** `weighted_median_col_sparse`: per-column stake-weighted median of I32F32 scores (kappa = majority). */
export function weightedMedianColSparse(activeStake: number[], weights: Row[], n: number, kappa: number): number[] {
  const rows = Math.min(activeStake.length, weights.length)
  const useStake: number[] = []
  const rowSlot = new Int32Array(rows).fill(-1)
  for (let i = 0; i < rows; i++) if (activeStake[i] > 0) { rowSlot[i] = useStake.length; useStake.push(activeStake[i]) }
  normalize(useStake)
  const m = useStake.length
  let stakeSum = 0
  for (const s of useStake) stakeSum += s
  const minority = stakeSum - kappa
  const idx = Array.from({ length: m }, (_, k) => k)
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
    consensus[j] = weightedMedian(useStake, col as unknown as number[], idx, minority, 0, stakeSum)
  }
  return consensus
}


import { weightedMedianColSparse } from './median.ts'
import { maskedBondRows, type PreparedEpoch } from './prepare.ts'
import type { EpochOutput, SparseRowU16 } from './types.ts'

/** A sparse row of proportions: parallel uid/value arrays, order kept as the chain keeps it. */
interface Row {
  c: number[]
  v: number[]
}

const TWO64 = 2 ** 64

/** A row with room for `cap` entries: filling by index, then `trim`, avoids push's regrowth. */
function sized(cap: number): Row {
  return { c: new Array<number>(cap), v: new Array<number>(cap) }
}

/** Cuts a `sized` row to the `m` entries written. */
function trim(r: Row, m: number): Row {
  if (r.c.length !== m) { r.c.length = m; r.v.length = m }
  return r
}

function normalize(x: Float64Array): void {
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i]
  if (s === 0) return
  for (let i = 0; i < x.length; i++) x[i] /= s
}

function colNormalize(rows: Row[], n: number): void {
  const sum = new Float64Array(n)
  for (const r of rows) for (let k = 0; k < r.c.length; k++) sum[r.c[k]] += r.v[k]
  for (const r of rows) for (let k = 0; k < r.c.length; k++) if (sum[r.c[k]] !== 0) r.v[k] /= sum[r.c[k]]
}

function toU16(x: number): number {
  const v = Math.floor(x * 65535)
  return v < 0 ? 0 : v > 65535 ? 65535 : v
}

function raoOf(share: number, emission: number): string {
  // Integers below 1e21 print in full decimal; u64 amounts are below 1.9e19.
  return String(Math.max(0, Math.floor(share * emission)))
}

/** float64 version of the sparse epoch: same steps as the chain, no fixed point. */
export function runEpochFast(p: PreparedEpoch): EpochOutput {
  const { n, hp } = p
  const inactive = p.lastUpdate.map((u) => u + hp.activity_cutoff < p.block)

  // Stake: threshold (owner exempt), normalise.
  const stake = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const whole = p.totalStake64[i] >> 64n
    if (i !== p.owner && whole < hp.stake_threshold) continue
    stake[i] = Number(p.totalStake64[i] >> 32n) / 2 ** 32
  }
  normalize(stake)
  // The chain keeps stake as I32F32: a share below 2^-32 is exactly zero there (no permit, no vote).
  for (let i = 0; i < n; i++) stake[i] = Math.floor(stake[i] * 2 ** 32) / 2 ** 32

  const permits = p.validatorPermit.slice()
  if (p.owner >= 0) permits[p.owner] = true
  const newPermits = topkNonzero(stake, hp.max_allowed_validators)
  if (p.owner >= 0) newPermits[p.owner] = true

  const activeStake = new Float64Array(n)
  for (let i = 0; i < n; i++) activeStake[i] = inactive[i] || !permits[i] ? 0 : stake[i]
  normalize(activeStake)

  // Weights: masks, then row normalisation.
  const cutoffRow = (i: number) => p.commitBlocks !== null && hp.commit_reveal ? p.commitBlocks[i] : Infinity
  const weights: Row[] = p.weights.map((row, i) => {
    if (!permits[i]) return { c: [], v: [] }
    const out = sized(row.cols.length)
    let m = 0
    const commit = cutoffRow(i)
    for (let k = 0; k < row.cols.length; k++) {
      const j = row.cols[k]
      if (j === i && i !== p.owner) continue
      if (p.lastUpdate[i] <= p.registered[j]) continue
      if (commit < p.registered[j]) continue
      out.c[m] = j
      out.v[m++] = row.vals[k]
    }
    trim(out, m)
    let s = 0
    for (const v of out.v) s += v
    if (s > 0) for (let k = 0; k < out.v.length; k++) out.v[k] /= s
    return out
  })

  const kappa = hp.kappa / 65535
  // The chain's median search, on doubles (the result is the same order statistic).
  const consensus = Float64Array.from(weightedMedianColSparse(activeStake, weights, n, kappa, (x) => {
    let t = 0
    for (const v of x) t += v
    if (t !== 0) for (let k = 0; k < x.length; k++) x[k] /= t
  }))

  const clipped: Row[] = weights.map((r) => {
    const out = sized(r.c.length)
    let m = 0
    for (let k = 0; k < r.c.length; k++) {
      const th = consensus[r.c[k]]
      if (th < r.v[k]) {
        if (th > 0) { out.c[m] = r.c[k]; out.v[m++] = th }
      } else { out.c[m] = r.c[k]; out.v[m++] = r.v[k] }
    }
    return trim(out, m)
  })
  const validatorTrust = Float64Array.from(clipped, (r) => r.v.reduce((a, b) => a + b, 0))

  const ranks = new Float64Array(n)
  clipped.forEach((r, i) => { for (let k = 0; k < r.c.length; k++) ranks[r.c[k]] += activeStake[i] * r.v[k] })
  const incentive = ranks.slice()
  normalize(incentive)

  // Weights for bonds: interpolate between W and clipped W by the bonds penalty.
  const bp = hp.bonds_penalty / 65535
  const weightsForBonds: Row[] = hp.bonds_penalty === 0 ? weights : hp.bonds_penalty === 65535 ? clipped : weights.map((r, i) => {
    const dense = new Map<number, number>()
    for (let k = 0; k < r.c.length; k++) dense.set(r.c[k], r.v[k])
    const c2 = new Map<number, number>()
    const cr = clipped[i]
    for (let k = 0; k < cr.c.length; k++) c2.set(cr.c[k], cr.v[k])
    const cols = [...new Set([...dense.keys(), ...c2.keys()])].sort((a, b) => a - b)
    const out: Row = { c: [], v: [] }
    for (const j of cols) {
      const v1 = dense.get(j) ?? 0
      const v = v1 + bp * ((c2.get(j) ?? 0) - v1)
      if (v > 0) { out.c.push(j); out.v.push(v) }
    }
    return out
  })

  const maskedBonds = (scale: (u16: number) => number): Row[] => maskedBondRows(p, hp.tempo, scale)
  const alphaNormal = 1 - hp.bonds_moving_average / 1_000_000

  let dividends: Float64Array
  let emaBonds: Row[]
  let storeBond: (v: number) => number
  if (hp.yuma3) {
    const bonds = maskedBonds((b) => b / 65535)
    if (hp.liquid_alpha && consensus.some((c) => c !== 0)) {
      emaBonds = liquidEma(weightsForBonds, bonds, consensus, hp)
    } else {
      emaBonds = emaSparse(weightsForBonds, bonds, alphaNormal, n)
    }
    const norm = emaBonds.map((r) => ({ c: r.c.slice(), v: r.v.slice() }))
    colNormalize(norm, n)
    dividends = new Float64Array(n)
    norm.forEach((r, i) => {
      let s = 0
      for (let k = 0; k < r.c.length; k++) s += r.v[k] * incentive[r.c[k]]
      dividends[i] = s * activeStake[i]
    })
    normalize(dividends)
    storeBond = toU16
  } else {
    const bonds = maskedBonds((b) => b)
    colNormalize(bonds, n)
    const delta = weightsForBonds.map((r, i) => ({ c: r.c.slice(), v: r.v.map((v) => v * activeStake[i]) }))
    colNormalize(delta, n)
    emaBonds = emaSparse(delta, bonds, alphaNormal, n)
    colNormalize(emaBonds, n)
    dividends = new Float64Array(n)
    emaBonds.forEach((r, i) => {
      let s = 0
      for (let k = 0; k < r.c.length; k++) s += incentive[r.c[k]] * r.v[k]
      dividends[i] = s
    })
    normalize(dividends)
    // Column max-upscale for storage.
    const colMax = new Float64Array(n)
    for (const r of emaBonds) for (let k = 0; k < r.c.length; k++) if (colMax[r.c[k]] < r.v[k]) colMax[r.c[k]] = r.v[k]
    for (const r of emaBonds) for (let k = 0; k < r.c.length; k++) if (colMax[r.c[k]] !== 0) r.v[k] /= colMax[r.c[k]]
    storeBond = toU16
  }

  // Emission split.
  let emissionSum = 0
  for (let i = 0; i < n; i++) emissionSum += incentive[i] + dividends[i]
  let server = Array.from(incentive)
  let validator = Array.from(dividends)
  let combined = Array.from(incentive, (x, i) => x + dividends[i])
  if (emissionSum !== 0) {
    server = server.map((x) => x / emissionSum)
    validator = validator.map((x) => x / emissionSum)
    combined = combined.map((x) => x / emissionSum)
  } else {
    const activeTotal = activeStake.reduce((a, b) => a + b, 0)
    const base = activeTotal === 0 ? stake : activeStake
    validator = Array.from(base)
    combined = Array.from(base)
  }
  const e = Number(p.emission)

  const bondsU16: SparseRowU16[] = emaBonds.map((r, i) =>
    newPermits[i] ? r.c.map((c, k) => [c, storeBond(r.v[k])] as [number, number]) : [])

  return {
    n,
    stake: Array.from(stake),
    active_stake: Array.from(activeStake),
    consensus: Array.from(consensus),
    validator_trust: Array.from(validatorTrust),
    ranks: Array.from(ranks),
    incentive: Array.from(incentive),
    dividends: Array.from(dividends),
    active: inactive.map((x) => !x),
    new_validator_permit: newPermits,
    bonds_u16: bondsU16,
    server_emission: server.map((x) => raoOf(x, e)),
    validator_emission: validator.map((x) => raoOf(x, e)),
    combined_emission: combined.map((x) => raoOf(x, e)),
    u16: {
      stake_weight: Array.from(stake, toU16),
      consensus: Array.from(consensus, toU16),
      incentive: Array.from(incentive, toU16),
      dividends: Array.from(dividends, toU16),
      validator_trust: Array.from(validatorTrust, toU16),
    },
  }
}

/** `is_topk_nonzero`: stable ascending sort, the lowest n - k lose (ties favour the higher uid). */
export function topkNonzero(values: ArrayLike<number>, k: number): boolean[] {
  const n = values.length
  const result = Array.from({ length: n }, (_, i) => values[i] !== 0)
  if (n < k) return result
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b] || a - b)
  for (let t = 0; t < n - k; t++) result[idx[t]] = false
  return result
}

/** `mat_ema_sparse`: alpha*new + (1-alpha)*old over the union, positives kept, sorted by uid. */
function emaSparse(next: Row[], old: Row[], alpha: number, n: number): Row[] {
  const acc = new Float64Array(n)
  const used = new Uint8Array(n)
  const touched: number[] = []
  return next.map((r, i) => {
    touched.length = 0
    for (let k = 0; k < r.c.length; k++) { const j = r.c[k]; if (!used[j]) { used[j] = 1; touched.push(j) } acc[j] += alpha * r.v[k] }
    const o = old[i]
    for (let k = 0; k < o.c.length; k++) { const j = o.c[k]; if (!used[j]) { used[j] = 1; touched.push(j) } acc[j] += (1 - alpha) * o.v[k] }
    const out = sized(touched.length)
    let m = 0
    if (touched.length * 16 <= n) touched.sort((a, b) => a - b)
    else { touched.length = 0; for (let j = 0; j < n; j++) if (used[j]) touched.push(j) }
    for (const j of touched) { if (acc[j] > 0) { out.c[m] = j; out.v[m++] = acc[j] } acc[j] = 0; used[j] = 0 }
    return trim(out, m)
  })
}

/** Value the chain's peeking merge sees at each target column (rows may be unsorted). */
export function peekValues(cols: number[], vals: number[], targets: number[]): Map<number, number> {
  const sorted = [...new Set(targets)].sort((a, b) => a - b)
  const seen = new Map<number, number>()
  let p = 0
  for (const j of sorted) {
    while (p < cols.length && cols[p] < j) p++
    seen.set(j, p < cols.length && cols[p] === j ? vals[p] : 0)
  }
  return seen
}

function liquidEma(weights: Row[], bonds: Row[], consensus: Float64Array, hp: PreparedEpoch['hp']): Row[] {
  const lo = hp.alpha_low / 65535
  const hi = hp.alpha_high / 65535
  const steep = hp.alpha_sigmoid_steepness / 100
  const clamp = (x: number, a: number, b: number) => (x < a ? a : x > b ? b : x)
  return weights.map((w, i) => {
    const b = bonds[i]
    const wSeen = peekValues(w.c, w.v, w.c)
    const bSeen = peekValues(b.c, b.v, w.c)
    const oldAt = new Map<number, number>()
    for (let k = 0; k < b.c.length; k++) oldAt.set(b.c[k], b.v[k])
    const out: Row = { c: [], v: [] }
    for (let k = 0; k < w.c.length; k++) {
      const j = w.c[k]
      const wj = wSeen.get(j) ?? 0
      const bj = bSeen.get(j) ?? 0
      const d = wj >= bj ? clamp(wj - consensus[j], 0, 1) : clamp(bj - wj, 0, 1)
      const x = clamp(-steep * (d - 0.5), -20, 20)
      const sigmoid = 1 / (1 + Math.exp(x))
      const a = clamp(lo + sigmoid * (hi - lo), lo, hi)
      const val = Math.min((1 - a) * (oldAt.get(j) ?? 0) + Math.max(a * w.v[k], 0), 1)
      if (val > 0) { out.c.push(j); out.v.push(val) }
    }
    return out
  })
}

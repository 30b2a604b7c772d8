import * as fixed from './fixed.ts'
import { topkNonzero } from './fast.ts'
import { weightedMedianColSparse } from './median.ts'
import { maskedBondRows, type PreparedEpoch } from './prepare.ts'
import type { EpochOutput, SparseRowU16 } from './types.ts'

// Local bindings, read once: under tsx's module transform every use of an imported name goes
// through a getter, which cost about a fifth of an epoch in the hot loops.
const { ONE, div, divPos, mul, sigmoidOfExp, toU16, u16Proportion } = fixed

/**
 * The sparse epoch in the chain's fixed point. Every value is I32F32 bits in a Number (see
 * fixed.ts); each step mirrors `epoch_mechanism` and the math.rs helper it calls, including
 * row order, so the results are the chain's bit for bit.
 */

/** A sparse row: parallel uid / I32F32-bits arrays, in the order the chain would hold them. */
interface Row {
  c: number[]
  v: number[]
}

const TWO32N = 1n << 32n

/** A row with room for `cap` entries: filling by index, then `trim`, avoids push's regrowth. */
function sized(cap: number): Row {
  return { c: new Array<number>(cap), v: new Array<number>(cap) }
}

/** Cuts a `sized` row to the `m` entries written. */
function trim(r: Row, m: number): Row {
  if (r.c.length !== m) { r.c.length = m; r.v.length = m }
  return r
}

/** `inplace_normalize`: divide by the sum unless it is zero. */
function normalize(x: number[]): void {
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i]
  if (s === 0) return
  for (let i = 0; i < x.length; i++) x[i] = divPos(x[i], s)
}

/** `inplace_col_normalize_sparse`. */
function colNormalize(rows: Row[], n: number): void {
  const sum = new Float64Array(n)
  for (const r of rows) for (let k = 0; k < r.c.length; k++) sum[r.c[k]] += r.v[k]
  for (const r of rows) {
    for (let k = 0; k < r.c.length; k++) {
      const s = sum[r.c[k]]
      if (s !== 0) r.v[k] = divPos(r.v[k], s)
    }
  }
}

/** `mat_ema_sparse`: alpha*new + (1-alpha)*old, densified per row, positives kept by uid. */
function emaSparse(next: Row[], old: Row[], alpha: number, n: number): Row[] {
  const oneMinus = ONE - alpha
  const acc = new Float64Array(n)
  const used = new Uint8Array(n)
  const touched: number[] = []
  return next.map((r, i) => {
    touched.length = 0
    for (let k = 0; k < r.c.length; k++) {
      const j = r.c[k]
      if (!used[j]) { used[j] = 1; touched.push(j) }
      acc[j] += mul(alpha, r.v[k])
    }
    const o = old[i]
    for (let k = 0; k < o.c.length; k++) {
      const j = o.c[k]
      if (!used[j]) { used[j] = 1; touched.push(j) }
      acc[j] += mul(oneMinus, o.v[k])
    }
    const out = sized(touched.length)
    let m = 0
    if (touched.length * 16 > n) {
      // Dense row: a scan in uid order beats sorting the touched uids.
      for (let j = 0; j < n; j++) {
        if (!used[j]) continue
        if (acc[j] > 0) { out.c[m] = j; out.v[m++] = acc[j] }
        acc[j] = 0
        used[j] = 0
      }
      return trim(out, m)
    }
    touched.sort((a, b) => a - b)
    for (const j of touched) {
      if (acc[j] > 0) { out.c[m] = j; out.v[m++] = acc[j] }
      acc[j] = 0
      used[j] = 0
    }
    return trim(out, m)
  })
}

/** `liquid_alpha_sigmoid` for one entry. */
function liquidAlpha(consensus: number, weight: number, bond: number, lo: number, hi: number, steepOverMinus100: number): number {
  const clamp = (x: number, a: number, b: number) => (x < a ? a : x > b ? b : x)
  const diffBuy = clamp(weight - consensus, 0, ONE)
  const diffSell = clamp(bond - weight, 0, ONE)
  const combined = weight >= bond ? diffBuy : diffSell
  const sigmoid = sigmoidOfExp(mul(steepOverMinus100, combined - ONE / 2))
  const alpha = lo + mul(sigmoid, hi - lo)
  return clamp(alpha, lo, hi)
}

/**
 * `liquid_alpha_matrix_sparse` + `mat_ema_alpha_sparse`: per-entry alpha from the values the
 * chain's peeking merge sees (rows are assumed sorted there; unsorted rows read as 0 past a
 * larger uid, and so they do here), then a clamped EMA kept only for entries of the weight row.
 */
function liquidEma(weights: Row[], bonds: Row[], consensus: number[], hp: PreparedEpoch['hp']): Row[] {
  const n = consensus.length
  const lo = u16Proportion(hp.alpha_low)
  const hi = u16Proportion(hp.alpha_high)
  const steep = div(hp.alpha_sigmoid_steepness * ONE, -100 * ONE)
  // Per-row scratch indexed by uid, reset after each row: no Maps in the inner loop.
  const wSeen = new Float64Array(n)
  const bSeen = new Float64Array(n)
  const alphaAt = new Float64Array(n)
  const decayed = new Float64Array(n)
  return weights.map((w, i) => {
    const b = bonds[i]
    seenByPeek(w.c, w.v, w.c, wSeen)
    seenByPeek(b.c, b.v, w.c, bSeen)
    for (const j of w.c) alphaAt[j] = liquidAlpha(consensus[j], wSeen[j], bSeen[j], lo, hi, steep)
    // `decayed` is only read at weight-row uids, so only those entries need the bond term.
    for (let k = 0; k < b.c.length; k++) { const j = b.c[k]; decayed[j] = mul(ONE - alphaAt[j], b.v[k]) }
    const out = sized(w.c.length)
    let m = 0
    for (let k = 0; k < w.c.length; k++) {
      const j = w.c[k]
      const inc = Math.max(mul(alphaAt[j], w.v[k]), 0)
      const val = Math.min(decayed[j] + inc, ONE)
      if (val > 0) { out.c[m] = j; out.v[m++] = val }
    }
    trim(out, m)
    for (const j of w.c) { wSeen[j] = 0; bSeen[j] = 0; alphaAt[j] = 0; decayed[j] = 0 }
    for (const j of b.c) decayed[j] = 0
    return out
  })
}

/**
 * Writes into `into[j]`, for each target uid j, the value the chain's peeking merge sees at column
 * j while walking columns in ascending order over a row that may be unsorted.
 */
function seenByPeek(cols: number[], vals: number[], targets: number[], into: Float64Array): void {
  let sorted = true
  for (let k = 1; k < targets.length; k++) if (targets[k] < targets[k - 1]) { sorted = false; break }
  const order = sorted ? targets : targets.slice().sort((x, y) => x - y)
  let p = 0
  for (const j of order) {
    while (p < cols.length && cols[p] < j) p++
    into[j] = p < cols.length && cols[p] === j ? vals[p] : 0
  }
}

/** Runs the sparse epoch in the chain's fixed point. */
export function runEpochExact(p: PreparedEpoch): EpochOutput {
  const { n, hp } = p
  const inactive = p.lastUpdate.map((u) => u + hp.activity_cutoff < p.block)

  // == Stake: I64F64 totals, threshold (owner exempt), normalised in I64F64, truncated to I32F32.
  const filtered = p.totalStake64.map((s, i) => (i !== p.owner && s >> 64n < hp.stake_threshold ? 0n : s))
  let sum64 = 0n
  for (const s of filtered) sum64 += s
  const stake = filtered.map((s) => (sum64 === 0n ? Number(s >> 32n) : Number(((s << 64n) / sum64) >> 32n)))

  // == Permits: stored (owner forced) and new top-k (owner forced).
  const permits = p.validatorPermit.slice()
  if (p.owner >= 0) permits[p.owner] = true
  const newPermits = topkNonzero(stake, hp.max_allowed_validators)
  if (p.owner >= 0) newPermits[p.owner] = true

  const activeStake = stake.map((s, i) => (inactive[i] || !permits[i] ? 0 : s))
  normalize(activeStake)

  // == Weights: permit rows, diagonal (owner kept), outdated, commit-reveal; row-normalise u16s.
  const checkCommit = hp.commit_reveal && p.commitBlocks !== null
  const weights: Row[] = p.weights.map((row, i) => {
    if (!permits[i]) return { c: [], v: [] }
    const out = sized(row.cols.length)
    let m = 0
    const commit = checkCommit ? (p.commitBlocks as number[])[i] : Infinity
    let rowSum = 0
    for (let k = 0; k < row.cols.length; k++) {
      const j = row.cols[k]
      if (j === i && i !== p.owner) continue
      if (p.lastUpdate[i] <= p.registered[j]) continue
      if (commit < p.registered[j]) continue
      out.c[m] = j
      out.v[m++] = row.vals[k]
      rowSum += row.vals[k]
    }
    trim(out, m)
    // Integer weights w / S in I32F32: trunc((w<<32 << 32) / (S<<32)) = floor(w * 2^32 / S).
    for (let k = 0; k < out.v.length; k++) out.v[k] = rowSum > 0 ? intQuotient(out.v[k], rowSum) : out.v[k] * ONE
    return out
  })

  const kappa = div(hp.kappa * ONE, 65535 * ONE)
  const consensus = weightedMedianColSparse(activeStake, weights, n, kappa)

  // == Clip at consensus; validator trust = row sums of clipped weights.
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
  const validatorTrust = clipped.map((r) => { let s = 0; for (const v of r.v) s += v; return s })

  const ranks = new Array<number>(n).fill(0)
  clipped.forEach((r, i) => { const s = activeStake[i]; for (let k = 0; k < r.c.length; k++) ranks[r.c[k]] += mul(s, r.v[k]) })
  const incentive = ranks.slice()
  normalize(incentive)

  // == Weights for bonds (bonds penalty interpolation).
  const bp = div(hp.bonds_penalty * ONE, 65535 * ONE)
  let weightsForBonds: Row[]
  if (bp === 0) weightsForBonds = weights
  else if (bp === ONE) weightsForBonds = clipped
  else {
    const d1 = new Float64Array(n)
    const d2 = new Float64Array(n)
    weightsForBonds = weights.map((r, i) => {
      const cr = clipped[i]
      const cols = new Set<number>()
      for (let k = 0; k < r.c.length; k++) { d1[r.c[k]] = r.v[k]; cols.add(r.c[k]) }
      for (let k = 0; k < cr.c.length; k++) { d2[cr.c[k]] = cr.v[k]; cols.add(cr.c[k]) }
      const out: Row = { c: [], v: [] }
      for (const j of [...cols].sort((a, b) => a - b)) {
        const v = d1[j] + mul(bp, d2[j] - d1[j])
        if (v > 0) { out.c.push(j); out.v.push(v) }
        d1[j] = 0
        d2[j] = 0
      }
      return out
    })
  }

  // == Bonds: mask columns of miners registered since the last mechanism step.
  const maskedBonds = (scale: (u16: number) => number): Row[] => maskedBondRows(p, hp.tempo, scale)
  // alpha = 1 - I32F32(I64F64(bma) / I64F64(1e6)).
  const alphaNormal = ONE - Number(((BigInt(hp.bonds_moving_average) << 64n) / 1_000_000n) >> 32n)

  let dividends: number[]
  let emaBonds: Row[]
  if (hp.yuma3) {
    const bonds = maskedBonds(u16Proportion)
    emaBonds = hp.liquid_alpha && consensus.some((c) => c !== 0)
      ? liquidEma(weightsForBonds, bonds, consensus, hp)
      : emaSparse(weightsForBonds, bonds, alphaNormal, n)
    const norm = emaBonds.map((r) => ({ c: r.c, v: r.v.slice() }))
    colNormalize(norm, n)
    dividends = norm.map((r, i) => {
      let s = 0
      for (let k = 0; k < r.c.length; k++) s += mul(r.v[k], incentive[r.c[k]])
      return mul(s, activeStake[i])
    })
    normalize(dividends)
  } else {
    // Unnormalised u16 bonds, column-normalised: floor(b * 2^32 / column sum), in integers.
    const bonds = maskedBonds((b) => b)
    const colSum = new Float64Array(n)
    for (const r of bonds) for (let k = 0; k < r.c.length; k++) colSum[r.c[k]] += r.v[k]
    for (const r of bonds) {
      for (let k = 0; k < r.c.length; k++) {
        const s = colSum[r.c[k]]
        r.v[k] = s === 0 ? r.v[k] * ONE : intQuotient(r.v[k], s)
      }
    }
    const delta = weightsForBonds.map((r, i) => ({ c: r.c, v: r.v.map((v) => mul(v, activeStake[i])) }))
    colNormalize(delta, n)
    emaBonds = emaSparse(delta, bonds, alphaNormal, n)
    colNormalize(emaBonds, n)
    dividends = emaBonds.map((r) => {
      let s = 0
      for (let k = 0; k < r.c.length; k++) s += mul(incentive[r.c[k]], r.v[k])
      return s
    })
    normalize(dividends)
    const colMax = new Float64Array(n)
    for (const r of emaBonds) for (let k = 0; k < r.c.length; k++) if (colMax[r.c[k]] < r.v[k]) colMax[r.c[k]] = r.v[k]
    for (const r of emaBonds) for (let k = 0; k < r.c.length; k++) if (colMax[r.c[k]] !== 0) r.v[k] = divPos(r.v[k], colMax[r.c[k]])
  }

  // == Emission split and fallbacks.
  let emissionSum = 0
  for (let i = 0; i < n; i++) emissionSum += incentive[i] + dividends[i]
  let server = incentive.slice()
  let validator = dividends.slice()
  let combined = incentive.map((x, i) => x + dividends[i])
  if (emissionSum !== 0) {
    server = server.map((x) => divPos(x, emissionSum))
    validator = validator.map((x) => divPos(x, emissionSum))
    normalize(combined)
  } else {
    let activeTotal = 0
    for (const s of activeStake) activeTotal += s
    const base = activeTotal === 0 ? stake : activeStake
    validator = base.slice()
    combined = base.slice()
  }
  const e = p.emission
  const eNum = Number(e)
  // floor(bits * E / 2^32): exact with Number arithmetic while E < 2^53, else BigInt.
  const rao = e < 9007199254740992n ? (bits: number) => String(mul(bits, eNum)) : (bits: number) => ((BigInt(bits) * e) >> 32n).toString()

  const bondsU16: SparseRowU16[] = emaBonds.map((r, i) =>
    newPermits[i] ? r.c.map((c, k) => [c, toU16(r.v[k])] as [number, number]) : [])

  const prop = (bits: number) => bits / ONE
  return {
    n,
    stake: stake.map(prop),
    active_stake: activeStake.map(prop),
    consensus: consensus.map(prop),
    validator_trust: validatorTrust.map(prop),
    ranks: ranks.map(prop),
    incentive: incentive.map(prop),
    dividends: dividends.map(prop),
    active: inactive.map((x) => !x),
    new_validator_permit: newPermits,
    bonds_u16: bondsU16,
    server_emission: server.map(rao),
    validator_emission: validator.map(rao),
    combined_emission: combined.map(rao),
    u16: {
      stake_weight: stake.map(toU16),
      consensus: consensus.map(toU16),
      incentive: incentive.map(toU16),
      dividends: dividends.map(toU16),
      validator_trust: validatorTrust.map(toU16),
    },
  }
}

/** floor(w * 2^32 / s) for integers w <= s (s may exceed 2^21): exact, via long division. */
function intQuotient(w: number, s: number): number {
  if (w * ONE < 9007199254740992) {
    let q = Math.floor((w * ONE) / s)
    let r = w * ONE - q * s
    while (r < 0) { q -= 1; r += s }
    while (r >= s) { q += 1; r -= s }
    return q
  }
  return Number((BigInt(w) * TWO32N) / BigInt(s))
}

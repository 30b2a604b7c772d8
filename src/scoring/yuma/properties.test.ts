import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { runEpoch, type EpochInput, type EpochOutput, type SparseRowU16 } from '../index.ts'

/** Small random subnets covering both bond branches, liquid alpha, masks and fallbacks. */
const epochArb: fc.Arbitrary<EpochInput> = fc.integer({ min: 1, max: 10 }).chain((n) => {
  const uid = fc.integer({ min: 0, max: n - 1 })
  const row = fc.uniqueArray(fc.tuple(uid, fc.oneof(fc.constant(0), fc.constant(65535), fc.integer({ min: 0, max: 65535 }))), { selector: ([j]) => j, maxLength: n })
  const rows = fc.array(row, { minLength: n, maxLength: n }) as fc.Arbitrary<SparseRowU16[]>
  const blocks = fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: n, maxLength: n })
  return fc.record({
    n: fc.constant(n),
    block: fc.integer({ min: 1000, max: 2000 }),
    emission: fc.bigInt({ min: 0n, max: 10n ** 18n }).map(String),
    stake: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 50 })), { minLength: n, maxLength: n }),
    validator_permit: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    last_update: blocks,
    block_at_registration: fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: n, maxLength: n }),
    weights: rows,
    bonds: fc.option(rows, { nil: null }),
    owner_uid: fc.option(uid, { nil: null }),
    last_mechanism_step_block: fc.integer({ min: 0, max: 1500 }),
    hyperparams: fc.record({
      kappa: fc.integer({ min: 0, max: 65535 }),
      bonds_penalty: fc.oneof(fc.constant(0), fc.constant(65535), fc.integer({ min: 0, max: 65535 })),
      bonds_moving_average: fc.integer({ min: 0, max: 1_000_000 }),
      yuma3: fc.boolean(),
      liquid_alpha: fc.boolean(),
      alpha_sigmoid_steepness: fc.integer({ min: -32768, max: 32767 }),
      max_allowed_validators: fc.integer({ min: 1, max: 12 }),
      tempo: fc.integer({ min: 1, max: 400 }),
    }, { requiredKeys: [] }),
  })
})

/** subtensor's default alpha_low (liquid alpha's lower bound), as u16. */
const DEFAULT_ALPHA_LOW = 45_875

const PROPORTIONS = ['stake', 'active_stake', 'consensus', 'validator_trust', 'ranks', 'incentive', 'dividends'] as const

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0)
}

test('incentive and dividends each sum to 1 or 0; nothing is NaN or infinite (both modes)', () => {
  fc.assert(fc.property(epochArb, (input) => {
    for (const mode of ['exact', 'fast'] as const) {
      const out = runEpoch(input, { mode })
      for (const f of PROPORTIONS) for (const x of out[f]) assert.ok(Number.isFinite(x) && x >= 0, `${mode} ${f}: ${x}`)
      for (const f of ['incentive', 'dividends'] as const) {
        const s = sum(out[f])
        // Exact mode truncates each quotient: at most one ulp (2^-32) short per entry.
        assert.ok(s === 0 || Math.abs(s - 1) <= input.n * 2 ** -32 + 1e-12, `${mode} ${f} sums to ${s}`)
      }
      for (const e of [...out.server_emission, ...out.validator_emission, ...out.combined_emission]) assert.match(e, /^[0-9]+$/)
      for (const v of Object.values(out.u16).flat()) assert.ok(Number.isInteger(v) && v >= 0 && v <= 65535)
    }
  }), { numRuns: Number(process.env.YUMA_PROPERTY_RUNS ?? 300) })
})

/** Renames uid u to perm[u] everywhere; rows keep ascending uid order (as set_weights callers send them). */
function permute(input: EpochInput, perm: number[]): EpochInput {
  const n = input.n
  const moveVec = <T>(xs: T[]): T[] => { const out = new Array<T>(n); xs.forEach((x, i) => { out[perm[i]] = x }); return out }
  const moveRows = (rows: SparseRowU16[]) => moveVec(rows.map((r) => r.map(([j, v]) => [perm[j], v] as [number, number]).sort((a, b) => a[0] - b[0])))
  return {
    ...input,
    stake: moveVec(input.stake ?? []),
    validator_permit: moveVec(input.validator_permit),
    last_update: moveVec(input.last_update),
    block_at_registration: moveVec(input.block_at_registration),
    weights: moveRows(input.weights),
    bonds: input.bonds ? moveRows(input.bonds) : null,
    owner_uid: input.owner_uid === null || input.owner_uid === undefined ? null : perm[input.owner_uid],
    // Permits go to every non-zero stake, so top-k tie-breaking by uid cannot matter.
    hyperparams: { ...input.hyperparams, max_allowed_validators: n },
  }
}

function sortedRows(input: EpochInput): EpochInput {
  const sort = (rows: SparseRowU16[]) => rows.map((r) => r.slice().sort((a, b) => a[0] - b[0]))
  return { ...input, weights: sort(input.weights), bonds: input.bonds ? sort(input.bonds) : null, hyperparams: { ...input.hyperparams, max_allowed_validators: input.n } }
}

test('permuting uids permutes every output exactly (exact mode)', () => {
  const withPerm = epochArb.chain((input) => fc.tuple(fc.constant(sortedRows(input)), fc.shuffledSubarray([...Array(input.n).keys()], { minLength: input.n, maxLength: input.n })))
  fc.assert(fc.property(withPerm, ([input, perm]) => {
    const a = runEpoch(input)
    const b = runEpoch(permute(input, perm))
    const keys: (keyof EpochOutput)[] = [...PROPORTIONS, 'active', 'new_validator_permit', 'server_emission', 'validator_emission', 'combined_emission']
    for (const k of keys) {
      const av = a[k] as unknown[]
      const bv = b[k] as unknown[]
      av.forEach((x, i) => assert.deepEqual(bv[perm[i]], x, `${k}[${i}]`))
    }
    for (const k of Object.keys(a.u16) as (keyof EpochOutput['u16'])[]) a.u16[k].forEach((x, i) => assert.equal(b.u16[k][perm[i]], x))
    a.bonds_u16.forEach((row, i) => {
      const moved = row.map(([j, v]) => [perm[j], v]).sort((x, y) => x[0] - y[0])
      assert.deepEqual(b.bonds_u16[perm[i]], moved, `bonds_u16[${i}]`)
    })
  }), { numRuns: Number(process.env.YUMA_PROPERTY_RUNS ?? 300) })
})

/** Found by CI (seed 519581854): a validator's weight of 1 gives uid 7 a consensus of 4.8e-5, and dividends differ by 1.5e-6. */
const TINY_CONSENSUS: EpochInput = {
  n: 10, block: 1000, emission: '0',
  stake: [0, 0, 110880391907659, 0, 0, 0, 0, 0, 0, 8863634283105],
  validator_permit: [false, false, true, false, false, false, false, false, false, true],
  last_update: [0, 0, 726, 0, 0, 0, 0, 0, 0, 12],
  block_at_registration: [0, 0, 0, 0, 0, 0, 0, 11, 0, 0],
  weights: [[], [], [[7, 65535]], [], [], [], [], [], [], [[7, 1], [0, 20906]]],
  bonds: null, owner_uid: null, last_mechanism_step_block: 0,
  hyperparams: { kappa: 60684, bonds_moving_average: 900000 },
}

/** Found by CI (seed 458377812): one validator weighting uids 0 and 2 by 1 and 2 of 65538; incentive[0] differs by 1.7e-6. */
const TINY_WEIGHT: EpochInput = {
  n: 10, block: 1000, emission: '0',
  stake: [0, 47836104872279, 0, 0, 0, 0, 81755902365279, 266503027197588, 0, 4167596629358],
  validator_permit: [false, false, false, false, false, false, false, false, false, true],
  last_update: [0, 1401, 0, 0, 0, 0, 0, 0, 0, 1],
  block_at_registration: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  weights: [[], [[2, 65535], [0, 1]], [], [], [], [], [], [], [], [[0, 1], [2, 2], [3, 65535]]],
  bonds: null, owner_uid: 1, last_mechanism_step_block: 0,
  hyperparams: { kappa: 60283, bonds_moving_average: 900000 },
}

test('fast mode is within 1e-6 of exact mode on every proportion (dividends, ranks and incentive: within the chain’s truncation)', () => {
  // Owners can set bonds_moving_average up to 975_000 (EMA alpha >= 0.025). Closer to 1e6 the EMA
  // values are so small that the chain's 2^-32 truncation alone moves dividends by more than 1e-6.
  const realistic = epochArb.map((i) => ({ ...i, hyperparams: { ...i.hyperparams, bonds_moving_average: Math.min(i.hyperparams?.bonds_moving_average ?? 900_000, 975_000) } }))
  fc.assert(fc.property(realistic, (input) => {
    const exact = runEpoch(input, { mode: 'exact' })
    const fast = runEpoch(input, { mode: 'fast' })
    // Dividends are ratios of EMA bonds, which the chain's fixed point (I32F32) truncates to
    // 2^-32; a bond can be as small as alpha × the smallest positive consensus, so with a tiny
    // consensus (a validator's weight of 1/65535, say) truncation alone moves dividends by
    // ~2^-32 / (alpha × c_min) relative to a float computation. Everything else: within 1e-6.
    const cMin = Math.min(...exact.consensus.filter((c) => c > 0))
    const alpha = Math.min(1 - (input.hyperparams?.bonds_moving_average ?? 900_000) / 1e6, DEFAULT_ALPHA_LOW / 65535)
    const dividendsTolerance = Math.max(1e-6, (4 * 2 ** -32) / (alpha * cMin))
    // Ranks (and incentive, their normalisation) sum products stake × clipped weight, each
    // truncated to 2^-32: with a tiny positive term r_min (a weight of 1 in a row of 65535s, say)
    // the normalised shares move by up to ~n·2^-32 / r_min relative to a float computation.
    let rMin = Infinity
    ;(input.weights ?? []).forEach((row, i) => {
      const s = exact.active_stake[i] ?? 0
      const rowSum = row.reduce((a, [, v]) => a + v, 0)
      if (s <= 0 || rowSum <= 0) return
      for (const [j, v] of row) {
        const clipped = Math.min(v / rowSum, exact.consensus[j] ?? 0)
        if (clipped > 0) rMin = Math.min(rMin, s * clipped)
      }
    })
    const ranksTolerance = Math.max(1e-6, (4 * input.n * 2 ** -32) / rMin)
    for (const f of PROPORTIONS) {
      const tolerance = f === 'dividends' ? dividendsTolerance : f === 'ranks' || f === 'incentive' ? ranksTolerance : 1e-6
      exact[f].forEach((x, i) => assert.ok(Math.abs(x - fast[f][i]) <= tolerance, `${f}[${i}]: exact ${x}, fast ${fast[f][i]} (tolerance ${tolerance})`))
    }
  }), { numRuns: Number(process.env.YUMA_PROPERTY_RUNS ?? 300), examples: [[TINY_CONSENSUS], [TINY_WEIGHT]] })
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { packInput, unpackInput, packOutput, unpackOutput, type PackedEpochInput } from './yuma-worker-protocol.ts'
import { runEpoch } from './yuma/epoch.ts'
import { YumaInputError } from './yuma/errors.ts'
import { syntheticEpochInput } from './yuma/synthetic.ts'
import type { EpochInput, SparseRowU16 } from './yuma/types.ts'

/** What the worker receives: the packed message after a structured clone that transfers the buffers. */
function throughChannel(input: EpochInput): EpochInput {
  const { message, transfer } = packInput(input)
  return unpackInput(structuredClone(message, { transfer }) as PackedEpochInput)
}

const rao = fc.oneof(
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String),
)

/**
 * Random inputs of every shape the format allows: each optional field absent, null or set.
 * Plain prototypes only: a structured clone (the channel itself, packed or not) drops null prototypes.
 */
const inputArb: fc.Arbitrary<EpochInput> = fc.integer({ min: 0, max: 12 }).chain((n) => {
  const ofN = <T>(a: fc.Arbitrary<T>) => fc.array(a, { minLength: n, maxLength: n })
  const uid = fc.integer({ min: 0, max: Math.max(n - 1, 0) })
  const row = n === 0
    ? fc.constant([] as SparseRowU16)
    : fc.uniqueArray(fc.tuple(uid, fc.integer({ min: 0, max: 65535 })), { selector: ([j]) => j, maxLength: n }) as fc.Arbitrary<SparseRowU16>
  const block = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
  const stakes = fc.oneof(
    fc.record({ stake: ofN(rao) }),
    fc.record({ alpha_stake: ofN(rao), tao_stake: ofN(rao), tao_weight: rao }, { requiredKeys: ['alpha_stake'], noNullPrototype: true }),
  )
  const base = fc.record({
    n: fc.constant(n),
    block,
    emission: rao,
    validator_permit: ofN(fc.boolean()),
    last_update: ofN(block),
    block_at_registration: ofN(block),
    weights: ofN(row),
    bonds: fc.option(ofN(row), { nil: null }),
    owner_uid: fc.option(uid, { nil: null }),
    last_mechanism_step_block: block,
    commit_blocks: fc.option(ofN(fc.option(block, { nil: null })), { nil: null }),
    hyperparams: fc.record({
      kappa: fc.integer({ min: 0, max: 65535 }),
      bonds_penalty: fc.integer({ min: 0, max: 65535 }),
      bonds_moving_average: fc.integer({ min: 0, max: 1_000_000 }),
      yuma3: fc.boolean(),
      liquid_alpha: fc.boolean(),
      alpha_low: fc.integer({ min: 0, max: 65535 }),
      alpha_high: fc.integer({ min: 0, max: 65535 }),
      alpha_sigmoid_steepness: fc.integer({ min: -32768, max: 32767 }),
      max_allowed_validators: fc.integer({ min: 0, max: 65535 }),
      stake_threshold: rao,
      tempo: fc.integer({ min: 0, max: 65535 }),
      activity_cutoff: fc.integer({ min: 0, max: 65535 }),
      activity_cutoff_factor_milli: fc.integer({ min: 0, max: 0xffffffff }),
      commit_reveal: fc.boolean(),
    }, { requiredKeys: [], noNullPrototype: true }),
  }, { requiredKeys: ['n', 'block', 'emission', 'validator_permit', 'last_update', 'block_at_registration', 'weights'], noNullPrototype: true })
  return fc.tuple(base, stakes).map(([b, s]) => ({ ...b, ...s }) as EpochInput)
})

test('packInput → transfer → unpackInput gives back the very input (all fields, rows packed)', () => {
  fc.assert(fc.property(inputArb, (input) => {
    const { message, transfer } = packInput(input)
    assert.ok(message.packed.includes('weights'))
    assert.equal(message.packed.includes('bonds'), Array.isArray(input.bonds))
    // Three buffers per packed row field; nothing else to transfer.
    assert.equal(transfer.length, 3 * message.packed.length)
    assert.deepStrictEqual(throughChannel(input), input)
  }), { numRuns: 300 })
})

test('a packed synthetic epoch runs to the same output as the original', () => {
  const input = syntheticEpochInput({ n: 96, validators: 24, weightsPerRow: 96, seed: 11, withBonds: true, ownerUid: 5 })
  const viaChannel = throughChannel(input)
  assert.deepStrictEqual(viaChannel, input)
  assert.deepStrictEqual(runEpoch(viaChannel), runEpoch(input))
  assert.deepStrictEqual(runEpoch(viaChannel, { mode: 'fast' }), runEpoch(input, { mode: 'fast' }))
})

test('packing is lossless for any value in the row fields, valid or not', () => {
  const anyRows = fc.oneof(
    fc.anything(),
    fc.array(fc.array(fc.array(fc.oneof(fc.integer({ min: -3, max: 70_000 }), fc.double(), fc.constant(-0), fc.string()), { maxLength: 3 }))),
  )
  fc.assert(fc.property(anyRows, anyRows, (weights, bonds) => {
    const input = { n: 3, weights, bonds } as unknown as EpochInput
    assert.deepStrictEqual(throughChannel(input), input)
  }), { numRuns: 500 })
})

/** The YumaInputError `runEpoch` throws for `input`, or null when it accepts it. */
function epochError(input: EpochInput): YumaInputError | null {
  try {
    runEpoch(input)
    return null
  } catch (e) {
    if (e instanceof YumaInputError) return e
    throw e
  }
}

test('bad rows give the same field-naming error after packing as before', () => {
  const valid = syntheticEpochInput({ n: 8, validators: 4, weightsPerRow: 8, seed: 3, withBonds: true })
  const withPair = (field: 'weights' | 'bonds', i: number, k: number, pair: unknown): EpochInput => {
    const rows = (valid[field] as SparseRowU16[]).map((r) => r.slice()) as unknown[][]
    rows[i][k] = pair
    return { ...valid, [field]: rows }
  }
  const cases: Array<[EpochInput, string]> = [
    [withPair('weights', 1, 2, [8, 100]), 'weights[1][2][0]'], // uid = n: fits a Uint16Array, so it travels packed
    [withPair('weights', 1, 2, [70_000, 100]), 'weights[1][2][0]'], // would wrap in a Uint16Array
    [withPair('weights', 0, 0, [-1, 100]), 'weights[0][0][0]'],
    [withPair('weights', 0, 0, [1.5, 100]), 'weights[0][0][0]'],
    [withPair('weights', 2, 3, [1, 65_536]), 'weights[2][3][1]'],
    [withPair('weights', 2, 3, [1, '5']), 'weights[2][3][1]'],
    [withPair('weights', 2, 3, [1, 2, 3]), 'weights[2][3]'],
    [withPair('bonds', 0, 1, [9, 1]), 'bonds[0][1][0]'],
    [withPair('weights', 3, 1, (valid.weights[3] as SparseRowU16)[0]), 'weights[3][1][0]'], // duplicate uid
    [{ ...valid, weights: valid.weights.slice(1) }, 'weights'],
    [{ ...valid, bonds: 'none' as unknown as SparseRowU16[] }, 'bonds'],
  ]
  for (const [bad, field] of cases) {
    const before = epochError(bad)
    const after = epochError(throughChannel(bad))
    assert.ok(before && after, `expected ${field} to be rejected`)
    assert.equal(after.field, field)
    assert.equal(after.message, before.message)
  }
})

test('one corrupted pair in a random row: same error with and without packing', () => {
  const valid = syntheticEpochInput({ n: 16, validators: 8, weightsPerRow: 6, seed: 5, withBonds: true })
  const junk = fc.oneof(fc.integer({ min: -2, max: 70_000 }), fc.double(), fc.constant(-0), fc.constant('1'), fc.constant(null))
  fc.assert(fc.property(fc.nat(7), fc.nat(5), fc.nat(1), junk, fc.boolean(), (i, k, slot, value, inBonds) => {
    const field = inBonds ? 'bonds' : 'weights'
    const rows = (valid[field] as SparseRowU16[]).map((r) => r.map((p) => p.slice())) as unknown[][][]
    rows[i][k % rows[i].length][slot] = value
    const bad = { ...valid, [field]: rows } as EpochInput
    const before = epochError(bad)
    const after = epochError(throughChannel(bad))
    assert.equal(after?.message, before?.message)
    assert.equal(after?.field, before?.field)
  }), { numRuns: 300 })
})

test('packOutput → transfer → unpackOutput keeps the output, bond rows included', () => {
  for (const mode of ['exact', 'fast'] as const) {
    const out = runEpoch(syntheticEpochInput({ n: 40, validators: 10, weightsPerRow: 20, seed: 2, withBonds: true }), { mode })
    assert.ok(out.bonds_u16.some((row) => row.length > 0))
    const { message, transfer } = packOutput(out)
    assert.ok(!Array.isArray(message.bonds_u16), 'bond rows travel packed')
    assert.equal(transfer.length, 4)
    assert.deepStrictEqual(unpackOutput(structuredClone(message, { transfer })), out)
  }
})

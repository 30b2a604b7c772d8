import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runEpoch, parseEpochInput, YumaInputError, type EpochInput } from '../index.ts'

/** Two equal validators (uids 0, 1) both weighting miners 2 and 3 equally. */
function twoByTwo(): EpochInput {
  return {
    n: 4,
    block: 1000,
    emission: 1_000_000_000,
    stake: [100, 100, 0, 0],
    validator_permit: [true, true, false, false],
    last_update: [1000, 1000, 1000, 1000],
    block_at_registration: [0, 0, 0, 0],
    weights: [[[2, 65535], [3, 65535]], [[2, 65535], [3, 65535]], [], []],
    bonds: null,
    owner_uid: null,
  }
}

for (const mode of ['fast', 'exact'] as const) {
  test(`${mode}: symmetric 2x2 subnet splits emission 50/50 between servers and validators`, () => {
    const out = runEpoch(twoByTwo(), { mode })
    assert.deepEqual(out.active, [true, true, true, true])
    assert.deepEqual(out.new_validator_permit, [true, true, false, false])
    for (const [k, want] of [[0, 0.5], [1, 0.5], [2, 0], [3, 0]] as const) assert.ok(Math.abs(out.stake[k] - want) < 1e-9)
    assert.ok(Math.abs(out.consensus[2] - 0.5) < 1e-6)
    assert.ok(Math.abs(out.incentive[2] - 0.5) < 1e-6 && Math.abs(out.incentive[3] - 0.5) < 1e-6)
    assert.ok(Math.abs(out.dividends[0] - 0.5) < 1e-6 && Math.abs(out.dividends[1] - 0.5) < 1e-6)
    const server = out.server_emission.map(Number)
    const validator = out.validator_emission.map(Number)
    assert.ok(Math.abs(server[2] - 250_000_000) <= 2 && server[0] === 0)
    assert.ok(Math.abs(validator[0] - 250_000_000) <= 2 && validator[2] === 0)
    // Stored bonds: column max-upscaled, so each validator holds 65535 in both columns.
    assert.deepEqual(out.bonds_u16, [[[2, 65535], [3, 65535]], [[2, 65535], [3, 65535]], [], []])
  })

  test(`${mode}: no weights at all falls back to active stake for validators`, () => {
    const input = { ...twoByTwo(), weights: [[], [], [], []] }
    const out = runEpoch(input, { mode })
    assert.deepEqual(out.incentive, [0, 0, 0, 0])
    assert.deepEqual(out.server_emission, ['0', '0', '0', '0'])
    assert.ok(Math.abs(Number(out.validator_emission[0]) - 500_000_000) <= 2)
    assert.ok(Math.abs(Number(out.combined_emission[1]) - 500_000_000) <= 2)
  })
}

test('parseEpochInput names the bad field', () => {
  const bad = (patch: Record<string, unknown>, field: string) => {
    assert.throws(() => parseEpochInput({ ...twoByTwo(), ...patch }), (err: unknown) => {
      assert.ok(err instanceof YumaInputError, String(err))
      assert.equal(err.field, field)
      return true
    })
  }
  bad({ stake: [1, 2, 3] }, 'stake')
  bad({ stake: [1, -2, 3, 4] }, 'stake[1]')
  bad({ weights: [[[4, 1]], [], [], []] }, 'weights[0][0][0]')
  bad({ weights: [[[1, 65536]], [], [], []] }, 'weights[0][0][1]')
  bad({ hyperparams: { kapa: 1 } }, 'hyperparams.kapa')
  bad({ last_update: [1, 2, 3, 'x'] }, 'last_update[3]')
  bad({ validator_permit: [true] }, 'validator_permit')
  bad({ emission: '1e9' }, 'emission')
  assert.doesNotThrow(() => parseEpochInput(twoByTwo()))
})

test('epochDigest is a sha256 of canonical JSON: key order does not matter, any value does', async () => {
  const { epochDigest, canonicalEpochJson } = await import('../index.ts')
  const out = runEpoch(twoByTwo())
  const digest = epochDigest(out)
  assert.match(digest, /^[0-9a-f]{64}$/)
  const reordered = Object.fromEntries(Object.entries(out).reverse()) as typeof out
  assert.equal(epochDigest(reordered), digest)
  assert.equal(canonicalEpochJson(reordered), canonicalEpochJson(out))
  const { createHash } = await import('node:crypto')
  assert.equal(createHash('sha256').update(canonicalEpochJson(out)).digest('hex'), digest)
  const changed = { ...out, incentive: out.incentive.map((x, i) => (i === 2 ? x + 2 ** -32 : x)) }
  assert.notEqual(epochDigest(changed), digest)
})

test('runEpochSequence carries bonds, permits and the step block; reset_bonds_for_uid drops a column', async () => {
  const { runEpochSequence } = await import('../index.ts')
  const initial = { ...twoByTwo(), validator_permit: [false, false, false, false] }
  const [first, second, third] = runEpochSequence({ initial, steps: [{ block: 1360 }, { block: 1720, reset_bonds_for_uid: 3 }] })
  // Epoch 0: no permits stored yet, so no weights count; new permits go to the staked uids.
  assert.deepEqual(first.new_validator_permit, [true, true, false, false])
  assert.deepEqual(first.incentive, [0, 0, 0, 0])
  // Epoch 1 uses those permits; its bonds are carried into epoch 2.
  const manual = runEpoch({ ...initial, block: 1360, validator_permit: first.new_validator_permit, bonds: first.bonds_u16, last_mechanism_step_block: 1000 })
  assert.deepEqual(second, manual)
  const resetBonds = second.bonds_u16.map((row) => row.filter(([j]) => j !== 3))
  assert.deepEqual(third, runEpoch({ ...initial, block: 1720, validator_permit: second.new_validator_permit, bonds: resetBonds, last_mechanism_step_block: 1360 }))
})

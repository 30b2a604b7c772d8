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

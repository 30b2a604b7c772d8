import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runEpoch, type EpochInput } from '../index.ts'

test('subtensor test_can_set_self_weight_as_subnet_owner: the owner keeps its self-weight', () => {
  // Owner hotkey at uid 0 (5k TAO stake, the only permit), another hotkey at uid 1; the owner's
  // stored row is 50% to itself, 50% to uid 1 (inserted directly, not upscaled); LastUpdate [2, 0].
  const input: EpochInput = {
    n: 2, block: 2, emission: 1_000_000_000, stake: [5_000_000_000_000, 0], validator_permit: [true, false],
    last_update: [2, 0], block_at_registration: [1, 1], weights: [[[0, 32767], [1, 32767]], []], owner_uid: 0,
  }
  for (const mode of ['exact', 'fast'] as const) {
    const out = runEpoch(input, { mode })
    assert.ok(BigInt(out.server_emission[0]) > 0n && BigInt(out.server_emission[1]) > 0n, mode)
    assert.equal(out.server_emission[0], out.server_emission[1], mode)
  }
  // Without the owner exemption the self-weight is masked and only uid 1 earns incentive.
  const noOwner = runEpoch({ ...input, owner_uid: null })
  assert.equal(noOwner.server_emission[0], '0')
  assert.ok(BigInt(noOwner.server_emission[1]) > 0n)
})

test('the owner is exempt from the stake threshold and always gets a permit', () => {
  const input: EpochInput = {
    n: 3, block: 100, emission: 1000, stake: [10, 1_000, 1_000], validator_permit: [false, true, true],
    last_update: [100, 100, 100], block_at_registration: [0, 0, 0], weights: [[], [], []], owner_uid: 0,
    hyperparams: { stake_threshold: 500, max_allowed_validators: 1 },
  }
  const out = runEpoch(input)
  assert.ok(out.stake[0] > 0, 'owner stake survives the threshold')
  assert.equal(out.new_validator_permit[0], true, 'owner permit forced')
  // Top-1 among equal stakes goes to the higher uid (stable ascending sort drops the lowest n-k).
  assert.deepEqual(out.new_validator_permit.slice(1), [false, true])
  const other = runEpoch({ ...input, owner_uid: null })
  assert.equal(other.stake[0], 0, 'below the threshold without the exemption')
  assert.equal(other.new_validator_permit[0], false)
})

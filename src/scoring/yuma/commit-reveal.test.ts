import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runEpoch, type EpochInput } from '../index.ts'

/**
 * subtensor `tests/epoch` commit-reveal masking tests, transcribed. Commit state is the input's
 * `commit_blocks` (earliest unexpired commit per uid), which the chain derives from its commit
 * queues; blocks follow the tests' run_to_block calls.
 */

test('test_epoch_masks_incoming_to_sniped_uid_prevents_inheritance', () => {
  // tempo 10, reveal 2; uids registered at block 1; validator uid 0 commits at block 21 and sets
  // weights on uid 1 at 22; a new miner takes uid 1 at block 22; uid 0 re-votes [0, 1] at 23.
  const base: EpochInput = {
    n: 3, block: 22, emission: 1000, stake: [10_000, 100, 5_000], validator_permit: [true, false, false],
    last_update: [22, 1, 1], block_at_registration: [1, 1, 1], weights: [[[1, 65535]], [], []],
    owner_uid: null, commit_blocks: [21, null, null], hyperparams: { tempo: 10, max_allowed_validators: 3, commit_reveal: true },
  }
  const first = runEpoch(base)
  const newUid = 1
  const second = runEpoch({
    ...base, block: 23, stake: [10_000, 10_000, 5_000], validator_permit: [...first.new_validator_permit.slice(0, 1), false, first.new_validator_permit[2]],
    last_update: [23, 22, 1], block_at_registration: [1, 22, 1], weights: [[[0, 65535], [newUid, 65535]], [], []], bonds: first.bonds_u16.map((r, i) => (i === newUid ? [] : r)),
  })
  assert.equal(second.u16.incentive[newUid], 0)
  assert.equal(second.ranks[newUid], 0)
})

test('test_epoch_does_not_mask_outside_window_but_masks_inside', () => {
  // tempo 8, reveal 2: uid 0 registers at 1 and commits at 8 (expired by the epoch), uid 1 registers
  // at 8; second commit at 32 (unexpired); uids 2, 3 register at 33; uid 0 votes 1/3 each at 34.
  const out = runEpoch({
    n: 4, block: 34, emission: 1000, stake: [10_000, 1_000, 1_000, 1_000], validator_permit: [true, false, false, false],
    last_update: [34, 8, 33, 33], block_at_registration: [1, 8, 33, 33], weights: [[[1, 65535], [2, 65535], [3, 65535]], [], [], []],
    owner_uid: null, commit_blocks: [32, null, null, null], hyperparams: { tempo: 8, max_allowed_validators: 1, commit_reveal: true },
  })
  assert.ok(out.u16.incentive[1] > 0, 'UID-1 (old) unmasked')
  assert.equal(out.u16.incentive[2], 0, 'UID-2 (inside window) masked')
  assert.equal(out.u16.incentive[3], 0, 'UID-3 (inside window) masked')
})

test('no commit-reveal mask when commit-reveal is disabled (test_epoch_no_mask_when_commit_reveal_disabled)', () => {
  const input: EpochInput = {
    n: 2, block: 5, emission: 1, stake: [1000, 1000], validator_permit: [true, false], last_update: [5, 1],
    block_at_registration: [1, 3], weights: [[[1, 65535]], []], owner_uid: null, commit_blocks: [2, null],
    hyperparams: { tempo: 5, commit_reveal: false },
  }
  assert.equal(runEpoch(input).u16.incentive[1], 65535)
  // The same state with commit-reveal on masks uid 1 (registered after the commit at block 2).
  assert.equal(runEpoch({ ...input, hyperparams: { tempo: 5, commit_reveal: true } }).u16.incentive[1], 0)
})

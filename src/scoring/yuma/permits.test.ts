import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runEpoch, type EpochInput } from '../index.ts'
import { prng } from './synthetic.ts'

/**
 * subtensor `tests/epoch` test_validator_permits, transcribed: permits go to the top-k stakes that
 * clear the stake threshold (min_stake = number of validators), for blockwise, regular and random
 * uid layouts (random: seeded shuffle here), then move to the servers once they out-stake them.
 */
function distribute(validatorsN: number, n: number, interleave: number): [number[], number[]] {
  const uids = [...Array(n).keys()]
  if (interleave === 0) return [uids.slice(0, validatorsN), uids.slice(validatorsN)]
  if (interleave === 1) return [uids.filter((i) => i % (n / validatorsN) === 0), uids.filter((i) => i % (n / validatorsN) !== 0)]
  const rand = prng(n * 31 + validatorsN)
  const shuffled = uids.sort(() => rand() - 0.5)
  return [shuffled.slice(0, validatorsN), shuffled.slice(validatorsN)]
}

test('exact mode reproduces subtensor test_validator_permits', () => {
  for (const interleave of [0, 1, 2]) {
    for (const [n, validatorsN] of [[2, 1], [4, 2], [8, 4]]) {
      const minStake = validatorsN
      for (const assignment of [0, 1]) {
        const [validators, servers] = distribute(validatorsN, n, interleave)
        const stake = Array<number>(n).fill(0)
        for (const v of validators) stake[v] = assignment === 1 ? v + n : 1
        for (const s of servers) stake[s] = assignment === 1 ? s : 0
        const input: EpochInput = {
          n, block: 0, emission: 1_000_000_000, stake, validator_permit: Array(n).fill(false),
          last_update: Array(n).fill(0), block_at_registration: Array(n).fill(0), weights: Array.from({ length: n }, () => []),
          owner_uid: null, hyperparams: { tempo: 65534, max_allowed_validators: validatorsN, stake_threshold: minStake },
        }
        const first = runEpoch(input)
        const label = `interleave ${interleave}, n ${n}, assignment ${assignment}`
        for (const v of validators) assert.equal(first.new_validator_permit[v], stake[v] >= minStake, label)
        for (const s of servers) assert.equal(first.new_validator_permit[s], false, label)
        // Servers gain 2n stake each and overtake the validators.
        const second = runEpoch({ ...input, block: 1, stake: stake.map((x, i) => (servers.includes(i) ? x + 2 * n : x)), validator_permit: first.new_validator_permit })
        for (const v of validators) assert.equal(second.new_validator_permit[v], false, label)
        for (const s of servers) assert.equal(second.new_validator_permit[s], stake[s] + 2 * n >= minStake, label)
      }
    }
  }
})

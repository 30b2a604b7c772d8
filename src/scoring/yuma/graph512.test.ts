import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runEpochSequence, type EpochInput, type SparseRowU16 } from '../index.ts'
import { prng } from './synthetic.ts'

/**
 * subtensor `tests/epoch` graph_epochs::test_512_graph, transcribed (built in code: as JSON the
 * 512×448 weight rows would be megabytes). 512 neurons, 64 validators with 328_125_000_000_000
 * stake each in three layouts (blockwise, every 8th uid, random), weights u16::MAX/512 on every
 * server (stored max-upscaled to 65535), server self-weights off/on. Epoch 0 issues permits, then
 * three epochs run at block 1. Upstream runs it with epoch_dense; the same file asserts dense ==
 * sparse, and these numbers are the asserted ones.
 */
const N = 512
const V = 64

function layouts(): Array<[string, number[]]> {
  const rand = prng(512)
  const shuffled = [...Array(N).keys()].sort(() => rand() - 0.5)
  return [
    ['blockwise', [...Array(V).keys()]],
    ['interleaved', [...Array(N).keys()].filter((i) => i % (N / V) === 0)],
    ['random', shuffled.slice(0, V).sort((a, b) => a - b)],
  ]
}

for (const [layout, validators] of layouts()) {
  for (const serverSelf of [false, true]) {
    test(`exact mode reproduces subtensor test_512_graph (${layout}, server self-weights ${serverSelf})`, () => {
      const isValidator = new Set(validators)
      const servers = [...Array(N).keys()].filter((i) => !isValidator.has(i))
      const validatorRow: SparseRowU16 = servers.map((s) => [s, 65535])
      const initial: EpochInput = {
        n: N, block: 0, emission: 1_000_000_000,
        stake: [...Array(N).keys()].map((i) => (isValidator.has(i) ? 328_125_000_000_000 : 0)),
        validator_permit: Array(N).fill(false), last_update: Array(N).fill(0), block_at_registration: Array(N).fill(0),
        weights: Array.from({ length: N }, () => []), bonds: null, owner_uid: null,
        hyperparams: { tempo: 65534, max_allowed_validators: V, bonds_penalty: 65535, commit_reveal: false },
      }
      const weights = [...Array(N).keys()].map((i): SparseRowU16 => (isValidator.has(i) ? validatorRow : serverSelf ? [[i, 65535]] : []))
      const lastUpdate = [...Array(N).keys()].map((i) => (isValidator.has(i) || serverSelf ? 1 : 0))
      const outs = runEpochSequence({ initial, steps: [{ block: 1, last_update: lastUpdate, weights }, { block: 1 }, { block: 1 }] })
      const out = outs[3]
      const bond = (i: number, j: number) => out.bonds_u16[i].find(([c]) => c === j)?.[1] ?? 0
      const [validator, server] = [validators[0], servers[0]]
      for (const uid of validators) {
        assert.equal(out.u16.consensus[uid], 0)
        assert.equal(out.u16.incentive[uid], 0)
        assert.equal(out.u16.dividends[uid], 1023) // floor(1 / 64 * 65_535)
        assert.equal(out.combined_emission[uid], '7812500') // 0.5 / 64 * 1_000_000_000
        assert.equal(bond(uid, validator), 0)
        assert.equal(bond(uid, server), 65535)
      }
      for (const uid of servers) {
        assert.equal(out.u16.consensus[uid], 146)
        assert.equal(out.u16.incentive[uid], 146) // floor(1 / (512 - 64) * 65_535)
        assert.equal(out.u16.dividends[uid], 0)
        assert.equal(out.combined_emission[uid], '1116071') // floor(0.5 / (512 - 64) * 1_000_000_000)
        assert.equal(bond(uid, validator), 0)
        assert.equal(bond(uid, server), 0)
      }
    })
  }
}

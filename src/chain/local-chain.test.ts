import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parseManifest } from '../subnet/manifest.ts'
import { runEpoch, type EpochInput, type EpochOutput } from '../scoring/index.ts'
import { blocksUntilNextEpoch, ChainError, LocalChain } from './local-chain.ts'

const manifest = parseManifest(JSON.parse(readFileSync(new URL('../../subnets/default.json', import.meta.url), 'utf8')))
const newChain = (): LocalChain<EpochOutput> => new LocalChain<EpochOutput>(manifest, (input) => runEpoch(input as EpochInput, { mode: 'exact' }))
const validator = manifest.validators[0]!.hotkey

test('epochs run on subtensor blocks: tempo - (block + netuid + 1) % (tempo + 1) == 0', () => {
  // netuid 1, tempo 10: (block + 2) % 11 == 10 at blocks 8, 19, 30, …
  assert.equal(blocksUntilNextEpoch(1, 10, 8), 0)
  assert.equal(blocksUntilNextEpoch(1, 10, 9), 10)
  assert.equal(blocksUntilNextEpoch(1, 10, 18), 1)
  const chain = newChain()
  const epochBlocks: number[] = []
  for (let i = 0; i < 40; i++) {
    const r = chain.advance()
    if (r !== null) epochBlocks.push(r.block)
  }
  assert.deepEqual(epochBlocks, [8, 19, 30])
})

test('genesis: owner at uid 0, validators with stake and permits; registration is idempotent', () => {
  const chain = newChain()
  const mg = chain.metagraph()
  assert.equal(mg.neurons[0]!.hotkey, manifest.owner.hotkey)
  assert.equal(mg.neurons[1]!.hotkey, validator)
  assert.equal(mg.neurons[1]!.stake, manifest.validators[0]!.stake)
  assert.ok(mg.neurons.every((n) => n.validatorPermit))
  const a = chain.register('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY')
  assert.deepEqual(a, { uid: 2, isNew: true })
  assert.deepEqual(chain.register('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'), { uid: 2, isNew: false })
})

test('weights are checked and max-upscaled as set_weights stores them', () => {
  const chain = newChain()
  const miner = chain.register('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY').uid
  const code = (fn: () => void): string => {
    try {
      fn()
    } catch (e) {
      assert.ok(e instanceof ChainError)
      return e.code
    }
    return 'none'
  }
  assert.equal(code(() => chain.setWeights('5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty', [miner], [1])), 'not_registered')
  assert.equal(code(() => chain.setWeights(validator, [miner], [1, 2])), 'bad_weights')
  assert.equal(code(() => chain.setWeights(validator, [99], [1])), 'bad_weights')
  assert.equal(code(() => chain.setWeights(validator, [miner, miner], [1, 1])), 'bad_weights')
  assert.equal(code(() => chain.setWeights(validator, [miner], [70000])), 'bad_weights')
  assert.equal(code(() => chain.setWeights('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', [0], [1])), 'no_permit')
  chain.advance()
  chain.setWeights(validator, [miner], [100])
  const input = chain.epochInput()
  assert.deepEqual(input.weights[1], [[miner, 65535]])
  assert.equal(input.last_update[1], 1)
})

test('a weighted miner earns incentive, the validator dividends, and emission becomes stake', () => {
  const chain = newChain()
  const miner = chain.register('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY').uid
  chain.advance()
  chain.setWeights(validator, [miner], [65535])
  let record = null
  while (record === null) record = chain.advance()
  assert.equal(record.output.u16.incentive[miner], 65535)
  assert.equal(record.output.u16.dividends[1], 65535)
  const emission = BigInt(manifest.chain.emissionPerBlock) * BigInt(record.block)
  assert.equal(record.input.emission, emission.toString())
  const mg = chain.metagraph()
  const minted = mg.neurons.reduce((s, n) => s + BigInt(n.stake), 0n) - BigInt(manifest.validators[0]!.stake)
  // Emission is split in rao with floors, so at most a few rao are not credited.
  assert.ok(minted <= emission && emission - minted < 10n, `minted ${minted} of ${emission}`)
  assert.ok(BigInt(mg.neurons[miner]!.stake) > 0n)
  // Bonds carry over to the next epoch's input.
  assert.ok(chain.epochInput().bonds[1]!.length > 0)
})

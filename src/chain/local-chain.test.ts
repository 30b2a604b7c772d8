import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runEpoch, type EpochInput, type EpochOutput } from '../scoring/index.ts'
import { blocksUntilNextEpoch, ChainError, epochIndex, LocalChain } from './local-chain.ts'
import { commitHash } from './commit-hash.ts'
import { toHex } from './log.ts'
import { devKey, registerOn, registerPayload, testManifest } from '../../test/support/chain-calls.ts'

const exact = (input: unknown): EpochOutput => runEpoch(input as EpochInput, { mode: 'exact' })
const newChain = (manifest = testManifest()): LocalChain<EpochOutput> => new LocalChain<EpochOutput>(manifest, exact, new Uint8Array(32).fill(7))
const code = (fn: () => void): string => {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof ChainError, String(e))
    return e.code
  }
  return 'none'
}

test('epochs run on subtensor blocks: tempo - (block + netuid + 1) % (tempo + 1) == 0', () => {
  // netuid 1, tempo 10: (block + 2) % 11 == 10 at blocks 8, 19, 30, …
  assert.equal(blocksUntilNextEpoch(1, 10, 8), 0)
  assert.equal(blocksUntilNextEpoch(1, 10, 9), 10)
  assert.equal(blocksUntilNextEpoch(1, 10, 18), 1)
  assert.equal(epochIndex(1, 10, 8), 0)
  assert.equal(epochIndex(1, 10, 9), 1)
  const chain = newChain()
  const epochBlocks: number[] = []
  for (let i = 0; i < 40; i++) {
    const r = chain.advance()
    if (r !== null) epochBlocks.push(r.block)
  }
  assert.deepEqual(epochBlocks, [8, 19, 30])
})

test('registration takes proof of work on a recent block hash of this chain, for this hotkey', async () => {
  const chain = newChain()
  const [alice, bob] = await Promise.all([devKey('Alice'), devKey('Bob')])
  chain.advance()
  const work = registerPayload(chain, alice)
  const seal = Uint8Array.from(Buffer.from(work.seal.slice(2), 'hex'))
  // The same work does not register another hotkey.
  assert.equal(code(() => chain.register(bob.address, bob.publicKey, { block: work.block, nonce: BigInt(work.nonce), seal })), 'InvalidSeal')
  assert.deepEqual(chain.register(alice.address, alice.publicKey, { block: work.block, nonce: BigInt(work.nonce), seal }), { uid: 2 })
  assert.equal(code(() => chain.register(alice.address, alice.publicKey, { block: work.block, nonce: BigInt(work.nonce), seal })), 'TooManyRegistrationsThisBlock')
  chain.advance()
  assert.equal(code(() => chain.register(alice.address, alice.publicKey, { block: work.block, nonce: BigInt(work.nonce), seal })), 'HotKeyAlreadyRegisteredInSubNet')
  // Work older than 3 blocks is refused, and so is work for a block that does not exist yet.
  const old = registerPayload(chain, bob)
  chain.advanceTo(chain.block + 3, new Uint8Array(32))
  assert.equal(code(() => chain.register(bob.address, bob.publicKey, { block: old.block, nonce: BigInt(old.nonce), seal: Buffer.from(old.seal.slice(2), 'hex') })), 'InvalidWorkBlock')
  assert.equal(code(() => chain.register(bob.address, bob.publicKey, { block: chain.block + 1, nonce: 0n, seal: new Uint8Array(32) })), 'InvalidWorkBlock')
  // A seal that misses the difficulty.
  assert.equal(code(() => chain.register(bob.address, bob.publicKey, { block: chain.block, nonce: 0n, seal: new Uint8Array(32).fill(0xff) })), 'InvalidDifficulty')
})

test('a Sybil flood raises the difficulty; registrations per interval stay near the target; newcomers prune the worst non-immune uid', async () => {
  const manifest = testManifest((m) => {
    m.chain.maxAllowedUids = 24
    m.chain.registration = { difficulty: '200', minDifficulty: '100', maxDifficulty: '100000000', adjustmentInterval: 20, targetRegistrationsPerInterval: 2, adjustmentAlpha: '0', maxRegistrationsPerBlock: 1, immunityPeriod: 30 }
  })
  const chain = newChain(manifest)
  const validator = manifest.validators[0]!.hotkey
  const honest = await devKey('HonestMiner')
  assert.equal(registerOn(chain, honest).ok, true)
  // The attacker tries a registration every block with a fixed hashing budget per block.
  const budget = 6000
  let attempts = 0
  const perInterval = new Map<number, number>()
  const difficulties: bigint[] = []
  for (let block = 1; block <= 400; block++) {
    chain.advance()
    if (block % 11 === 3 && chain.uidOf(honest.address) !== undefined) chain.setWeights(validator, [chain.uidOf(honest.address)!], [65535])
    const sybil = await devKey(`Sybil${attempts++}`)
    const work = (() => {
      try {
        return registerPayload(chain, sybil, budget)
      } catch {
        return null
      }
    })()
    if (work === null) continue
    const r = code(() => chain.register(sybil.address, sybil.publicKey, { block: work.block, nonce: BigInt(work.nonce), seal: Buffer.from(work.seal.slice(2), 'hex') }))
    // The chain adjusts at blocks 20, 40, …: a registration at block 20 counts in the next interval.
    if (r === 'none') perInterval.set(Math.floor(block / 20), (perInterval.get(Math.floor(block / 20)) ?? 0) + 1)
    if (block % 20 === 0) difficulties.push(chain.difficulty)
  }
  const counts = [...perInterval.values()]
  // Never more than 3 × target per interval, and once the difficulty caught up, near the target.
  assert.ok(counts.every((c) => c <= 6), `per interval: ${counts}`)
  const late = [...Array(5).keys()].map((i) => perInterval.get(15 + i) ?? 0)
  const lateMean = late.reduce((s, c) => s + c, 0) / late.length
  assert.ok(lateMean <= 4, `late intervals: ${late}`)
  assert.ok(difficulties.at(-1)! > 1000n, `difficulty rose: ${difficulties.join(' ')}`)
  // The honest miner earns emission and is never the one pruned.
  assert.notEqual(chain.uidOf(honest.address), undefined, 'the honest miner kept its uid through the flood')
  // An honest newcomer with enough work registers, replacing a Sybil (zero emission, not immune).
  chain.advanceTo(chain.block + 20, new Uint8Array(32))
  const newcomer = await devKey('Newcomer')
  const prune = chain.neuronToPrune()!
  assert.ok(!chain.isImmune(prune))
  const result = registerOn(chain, newcomer)
  assert.equal(result.ok, true)
  assert.ok(result.ok && result.uid === prune && result.replaced?.length)
  assert.equal(chain.metagraph().neurons.length, 24)
  assert.notEqual(chain.uidOf(honest.address), undefined)
  assert.equal(chain.uidOf(newcomer.address), prune)
})

test('pruning: the non-immune uid with least emission, then the earliest registered; immune ones only when all are; never the owner', async () => {
  const manifest = testManifest((m) => {
    m.chain.maxAllowedUids = 4
    m.chain.registration.immunityPeriod = 5
  })
  const chain = newChain(manifest)
  const [a, b, c] = await Promise.all([devKey('PruneA'), devKey('PruneB'), devKey('PruneC')])
  chain.advance()
  assert.deepEqual(registerOn(chain, a), { ok: true, uid: 2 })
  chain.advance()
  assert.deepEqual(registerOn(chain, b), { ok: true, uid: 3 })
  // Full, everyone but genesis immune: the immune one with least emission and earliest registration.
  chain.advance()
  assert.equal(chain.neuronToPrune(), 1 /* the validator: registered at 0, no emission yet */)
  chain.advanceTo(20, new Uint8Array(32)) // an epoch at 19 paid the validator dividends
  assert.equal(chain.neuronToPrune(), 2)
  assert.deepEqual(registerOn(chain, c), { ok: true, uid: 2, replaced: a.address })
  assert.equal(chain.uidOf(a.address), undefined)
})

test('set_weights is checked as subtensor checks it', async () => {
  const manifest = testManifest((m) => {
    m.chain.weights = { versionKey: '3', rateLimit: 5, minAllowedWeights: 2, maxWeightLimit: 40000, revealPeriodEpochs: 1 }
  })
  const chain = newChain(manifest)
  const validator = manifest.validators[0]!.hotkey
  const [m1, m2] = await Promise.all([devKey('WMiner1'), devKey('WMiner2')])
  chain.advance()
  const u1 = (registerOn(chain, m1) as { uid: number }).uid
  chain.advance()
  const u2 = (registerOn(chain, m2) as { uid: number }).uid
  chain.advance()
  assert.equal(code(() => chain.setWeights('5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty', [u1], [1], 3n)), 'HotKeyNotRegisteredInSubNet')
  assert.equal(code(() => chain.setWeights(validator, [u1], [1, 2], 3n)), 'WeightVecNotEqualSize')
  assert.equal(code(() => chain.setWeights(validator, [u1, u2], [1, 1], 2n)), 'IncorrectWeightVersionKey')
  assert.equal(code(() => chain.setWeights(validator, [u1, 99], [1, 1], 3n)), 'UidVecContainInvalidOne')
  assert.equal(code(() => chain.setWeights(validator, [u1, u1], [1, 1], 3n)), 'DuplicateUids')
  assert.equal(code(() => chain.setWeights(validator, [u1], [1], 3n)), 'WeightVecLengthIsLow')
  assert.equal(code(() => chain.setWeights(validator, [u1, u2], [65535, 1], 3n)), 'MaxWeightExceeded')
  // A miner without a permit may only weight itself.
  assert.equal(code(() => chain.setWeights(m1.address, [u2, u1], [1, 1], 3n)), 'NotEnoughStakeToSetWeights')
  chain.setWeights(validator, [u1, u2], [30000, 40000], 3n)
  assert.deepEqual(chain.epochInput().weights[1], [[u1, 49151], [u2, 65535]])
  assert.equal(code(() => chain.setWeights(validator, [u1, u2], [1, 1], 3n)), 'SettingWeightsTooFast')
  chain.advanceTo(chain.block + 5, new Uint8Array(32))
  chain.setWeights(validator, [u1, u2], [1, 1], 4n)
  assert.equal(chain.epochInput().last_update[1], chain.block)
})

test('stake_threshold: emission alone does not make a miner a validator', async () => {
  const chain = newChain()
  const validator = testManifest().validators[0]!.hotkey
  const miner = await devKey('EarningMiner')
  chain.advance()
  const uid = (registerOn(chain, miner) as { uid: number }).uid
  for (let e = 0; e < 5; e++) {
    chain.setWeights(validator, [uid], [65535])
    chain.advanceTo(chain.nextEpochBlock(), new Uint8Array(32))
  }
  const n = chain.metagraph().neurons[uid]!
  assert.ok(BigInt(n.stake) > 0n && BigInt(n.stake) < chain.rules.stakeThreshold, `miner stake ${n.stake}`)
  assert.equal(n.validatorPermit, false)
  assert.equal(chain.metagraph().neurons[1]!.validatorPermit, true)
  assert.equal(code(() => chain.setWeights(miner.address, [1], [65535])), 'NotEnoughStakeToSetWeights')
  // Owner-signed stake lifts it over the threshold; the next epoch grants the permit.
  chain.addStake(miner.address, chain.rules.stakeThreshold)
  chain.advanceTo(chain.nextEpochBlock(), new Uint8Array(32))
  assert.equal(chain.metagraph().neurons[uid]!.validatorPermit, true)
  assert.equal(code(() => chain.addStake(miner.address, -(10n ** 30n))), 'NotEnoughStakeToWithdraw')
})

test('commit-reveal: set_weights refused, commit then reveal in the next epoch; early, wrong and late reveals refused', async () => {
  const manifest = testManifest((m) => {
    m.hyperparams.commit_reveal = true
  })
  const chain = newChain(manifest)
  const v = await devKey('WebtensorValidator1')
  assert.equal(v.address, manifest.validators[0]!.hotkey)
  const miner = await devKey('CrMiner')
  chain.advance()
  const uid = (registerOn(chain, miner) as { uid: number }).uid
  chain.advance()
  assert.equal(code(() => chain.setWeights(v.address, [uid], [65535])), 'CommitRevealEnabled')
  const salt = [1, 2, 3, 4, 5, 6, 7, 8]
  const hash = toHex(commitHash({ hotkeyPublicKey: v.publicKey, netuid: 1, uids: [uid], values: [65535], salt, versionKey: 0n }))
  chain.commitWeights(v.address, hash)
  const commitBlock = chain.block
  assert.deepEqual(chain.epochInput().commit_blocks?.[1], commitBlock)
  assert.equal(code(() => chain.revealWeights(v.address, v.publicKey, [uid], [65535], salt, 0n)), 'RevealTooEarly')
  // The next epoch index (tempo 10, netuid 1: blocks 9..19).
  chain.advanceTo(9, new Uint8Array(32))
  assert.equal(code(() => chain.revealWeights(v.address, v.publicKey, [uid], [65535], [9, 9], 0n)), 'InvalidRevealCommitHashNotMatch')
  chain.revealWeights(v.address, v.publicKey, [uid], [65535], salt, 0n)
  assert.deepEqual(chain.epochInput().weights[1], [[uid, 65535]])
  assert.equal(code(() => chain.revealWeights(v.address, v.publicKey, [uid], [65535], salt, 0n)), 'NoWeightsCommitFound')
  // A commit not revealed within its window expires.
  chain.advanceTo(chain.block + 3, new Uint8Array(32))
  const hash2 = toHex(commitHash({ hotkeyPublicKey: v.publicKey, netuid: 1, uids: [uid], values: [100], salt, versionKey: 0n }))
  chain.commitWeights(v.address, hash2)
  chain.advanceTo(chain.block + 25, new Uint8Array(32))
  assert.equal(code(() => chain.revealWeights(v.address, v.publicKey, [uid], [100], salt, 0n)), 'ExpiredWeightCommit')
})

/**
 * A copier validator can only copy weights once they are revealed, an epoch after the original
 * committed them; when the best miner changes every epoch, the copy is always one epoch stale.
 */
test('commit-reveal: a weight copier earns less than the validator it copies', async () => {
  const copierKey = await devKey('Copier')
  const run = async (commitReveal: boolean): Promise<{ original: bigint; copier: bigint }> => {
    const manifest = testManifest((m) => {
      m.hyperparams.commit_reveal = commitReveal
      m.hyperparams.stake_threshold = 0
      m.chain.weights.rateLimit = 1
      // Half the original's stake: the original's weights are the consensus.
      m.validators.push({ hotkey: copierKey.address, stake: '500000000000' })
    })
    const chain = newChain(manifest)
    const original = await devKey('WebtensorValidator1')
    const miners: number[] = []
    for (let i = 0; i < 4; i++) {
      chain.advance()
      miners.push((registerOn(chain, await devKey(`CopyMiner${i}`)) as { uid: number }).uid)
    }
    const salt = [7, 7, 7, 7]
    let pendingOriginal: number[] | null = null
    let pendingCopier: number[] | null = null
    const earned = { original: 0n, copier: 0n }
    chain.advanceTo(chain.nextEpochBlock() + 1, new Uint8Array(32))
    for (let e = 0; e < 12; e++) {
      // At the first block of each tempo: reveal what was committed in the last one, commit anew.
      const best = miners[e % miners.length]!
      const truth = miners.map((u) => (u === best ? 65535 : 1000))
      if (!commitReveal) {
        chain.setWeights(original.address, miners, truth)
        // The copier sees the original's weights on the mesh at once and sets the same.
        chain.setWeights(copierKey.address, miners, truth)
      } else {
        if (pendingOriginal !== null) chain.revealWeights(original.address, original.publicKey, miners, pendingOriginal, salt, 0n)
        if (pendingCopier !== null) chain.revealWeights(copierKey.address, copierKey.publicKey, miners, pendingCopier, salt, 0n)
        // The copier copies the weights the original just revealed (last epoch's truth).
        const copied = pendingOriginal ?? miners.map(() => 1)
        chain.commitWeights(original.address, toHex(commitHash({ hotkeyPublicKey: original.publicKey, netuid: 1, uids: miners, values: truth, salt, versionKey: 0n })))
        chain.commitWeights(copierKey.address, toHex(commitHash({ hotkeyPublicKey: copierKey.publicKey, netuid: 1, uids: miners, values: copied, salt, versionKey: 0n })))
        pendingOriginal = truth
        pendingCopier = copied
      }
      const [record] = chain.advanceTo(chain.nextEpochBlock(), new Uint8Array(32))
      chain.advance()
      if (e >= 4) {
        earned.original += BigInt(record!.output.combined_emission[1]!)
        earned.copier += BigInt(record!.output.combined_emission[2]!)
      }
    }
    return earned
  }
  const open = await run(false)
  const sealed = await run(true)
  // Per unit of stake: without commit-reveal the copy earns as much as the original (to rounding)…
  const gap = (r: { original: bigint; copier: bigint }): number => Number(r.copier * 2n) / Number(r.original)
  console.log(`copier/original dividends per stake: ${gap(open).toFixed(4)} without commit-reveal, ${gap(sealed).toFixed(4)} with it`)
  assert.ok(Math.abs(gap(open) - 1) < 0.001, `open: copier ${open.copier} vs original ${open.original}`)
  // …with it, the stale copy earns clearly less.
  assert.ok(gap(sealed) < 0.95, `sealed: copier ${sealed.copier} vs original ${sealed.original} (${gap(sealed)})`)
})

test('a weighted miner earns incentive, the validator dividends, and emission becomes stake', async () => {
  const chain = newChain()
  const validator = testManifest().validators[0]!.hotkey
  chain.advance()
  const miner = (registerOn(chain, await devKey('Earner')) as { uid: number }).uid
  // Weights set in the block of the registration are outdated for Yuma (last_update <= registered).
  chain.advance()
  chain.setWeights(validator, [miner], [65535])
  let record = null
  while (record === null) record = chain.advance()
  assert.equal(record.output.u16.incentive[miner], 65535)
  assert.equal(record.output.u16.dividends[1], 65535)
  const emission = BigInt(testManifest().chain.emissionPerBlock) * BigInt(record.block)
  assert.equal(record.input.emission, emission.toString())
  const mg = chain.metagraph()
  const minted = mg.neurons.reduce((s, n) => s + BigInt(n.stake), 0n) - BigInt(testManifest().validators[0]!.stake)
  // Emission is split in rao with floors, so at most a few rao are not credited.
  assert.ok(minted <= emission && emission - minted < 10n, `minted ${minted} of ${emission}`)
  assert.ok(BigInt(mg.neurons[miner]!.stake) > 0n)
  // Bonds carry over to the next epoch's input.
  assert.ok(chain.epochInput().bonds[1]!.length > 0)
})

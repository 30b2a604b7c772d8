/**
 * The subtensor client against a real subtensor runtime (raonet, spec 218) run offline by chopsticks.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { ChainError } from '../../src/chain/index.ts'
import { commitHash } from '../../src/chain/commit-hash.ts'
import { connectSubtensor, SubtensorError, type SubtensorClient, type SubtensorEpochResult } from '../../src/chain/subtensor/index.ts'
import { hotkeyFromSecret, type Hotkey } from '../../src/identity/index.ts'
import { raonetAvailable, startChopsticks, TAO, type Chopsticks } from '../support/chopsticks.ts'

const skip = raonetAvailable() ? false : 'needs ../shared/fixtures/subtensor/raonet.json next to the repo'

let chain: Chopsticks
let owner: Hotkey
let validator: Hotkey
let miners: Hotkey[]
let netuid: number
let client: SubtensorClient
const TEMPO = 10

before(async () => {
  if (skip !== false) return
  const t0 = Date.now()
  chain = await startChopsticks()
  owner = await hotkeyFromSecret('//SubnetOwner')
  validator = await hotkeyFromSecret('//Validator')
  miners = await Promise.all([1, 2, 3].map((i) => hotkeyFromSecret(`//Miner${i}`)))
  await chain.fund([owner.address, validator.address, ...miners.map((m) => m.address)], 100_000n * TAO)
  netuid = await chain.createSubnet(owner, { tempo: TEMPO, weightsRateLimit: 2, commitReveal: false, targetRegistrationsPerInterval: 100, maxRegistrationsPerBlock: 100 })
  console.log(`chopsticks up and subnet ${netuid} made in ${Date.now() - t0} ms`)
}, { timeout: 120_000 })

after(async () => {
  await client?.close()
  await chain?.close()
})

test('connects, registers a validator and 3 miners by burned_register, stakes, and reads the metagraph back', { skip, timeout: 120_000 }, async () => {
  client = await connectSubtensor({ url: chain.url, netuid, signer: validator, retries: 0, log: (l) => console.log(l) })
  const hp = await client.hyperparams()
  assert.equal(hp.tempo, TEMPO)
  assert.equal(hp.weightsRateLimit, 2)
  assert.equal(hp.commitReveal, false)
  const reg = await client.burnedRegister()
  const minerUids: number[] = []
  for (const m of miners) minerUids.push((await client.burnedRegister({ hotkey: m.address, coldkey: m })).uid)
  assert.equal(new Set([reg.uid, ...minerUids]).size, 4)
  await client.addStake(1_000n * TAO)
  await client.refresh()
  const mg = client.metagraph()
  assert.ok(mg !== null)
  assert.equal(mg.netuid, netuid)
  for (const [hotkey, uid] of [[validator.address, reg.uid], ...miners.map((m, i) => [m.address, minerUids[i]!] as const)] as const) {
    assert.equal(client.uidOf(hotkey), uid)
    assert.equal(mg.neurons.find((n) => n.uid === uid)?.hotkey, hotkey)
  }
  const vStake = BigInt(mg.neurons.find((n) => n.hotkey === validator.address)!.stake)
  assert.ok(vStake > 0n, `validator stake ${vStake}`)
  for (const m of miners) assert.equal(mg.neurons.find((n) => n.hotkey === m.address)!.stake, '0')
  const info = client.chainInfo()
  assert.equal(info?.head, mg.block)
  assert.match(info?.genesis ?? '', /^0x[0-9a-f]{64}$/)
})

test('set_weights lands in Weights; a second one inside the rate limit is SettingWeightsTooFast', { skip, timeout: 60_000 }, async () => {
  const uids = miners.map((m) => client.uidOf(m.address)!)
  const weights = [65535, 32768, 1]
  await chain.newBlocks(3)
  const at = await client.setWeightsNow(uids, weights)
  const me = client.uidOf(validator.address)!
  const stored = (await chain.api.query.subtensorModule!.weights!(netuid, me)).toJSON() as [number, number][]
  assert.deepEqual(stored.map(([u]) => u), uids)
  assert.equal(stored[0]![1], 65535)
  const again = await client.setWeightsNow(uids, weights).then(() => null, (e: unknown) => e)
  assert.ok(again instanceof ChainError, `expected a ChainError, got ${String(again)}`)
  assert.equal(again.code, 'SettingWeightsTooFast')
  assert.ok(at.blockNumber > 0)
})

test('the runtime runs its epoch and the client reports what it stored', { skip, timeout: 60_000 }, async () => {
  const seen: SubtensorEpochResult[] = []
  const off = client.onEpoch((e) => seen.push(e))
  const head = await chain.head()
  // Two epochs: the first gives the staked validator its permit, the second counts its weights.
  await chain.newBlocks(2 * (TEMPO + 1) + 1)
  await client.refresh()
  off()
  assert.ok(seen.length >= 2, `${seen.length} epoch(s) seen`)
  assert.equal(seen[1]!.block - seen[0]!.block, TEMPO + 1)
  const permits = (await chain.api.query.subtensorModule!.validatorPermit!(netuid)).toJSON()
  console.log('second epoch stored:', JSON.stringify({ block: seen[1]!.block, permits, incentive: seen[1]!.incentive, dividends: seen[1]!.dividends, consensus: seen[1]!.consensus, validatorTrust: seen[1]!.validatorTrust, emission: seen[1]!.emission }))
  const e = seen[0]!
  assert.ok(e.block > head)
  console.log('epoch stored:', JSON.stringify({ block: e.block, incentive: e.incentive, dividends: e.dividends, consensus: e.consensus, trust: e.trust, rank: e.rank, validatorTrust: e.validatorTrust, emission: e.emission }))
  const stored = (await chain.api.query.subtensorModule!.incentive!(netuid)).toJSON() as number[]
  assert.deepEqual(client.latestEpoch()?.incentive, stored)
  assert.match(e.digest, /^0x[0-9a-f]{64}$/)
})

test('with commit-reveal on: set_weights is CommitRevealEnabled, our hash reveals, a mismatch is refused, setWeights reveals by itself', { skip, timeout: 90_000 }, async () => {
  await chain.configure(netuid, { commitReveal: true, revealPeriodEpochs: 1 })
  const uids = miners.map((m) => client.uidOf(m.address)!)
  await chain.newBlocks(3)
  const refused = await client.setWeightsNow(uids, [1, 2, 3]).then(() => null, (e: unknown) => e)
  assert.ok(refused instanceof ChainError && refused.code === 'CommitRevealEnabled', String(refused))
  const salt = [1, 2, 3, 4, 5, 6, 7, 8]
  const values = [100, 200, 65535]
  const c = await client.commitWeights(uids, values, salt, 0n)
  const me = client.uidOf(validator.address)!
  const commits = (await chain.api.query.subtensorModule!.weightCommits!(netuid, validator.address)).toJSON() as unknown[][]
  assert.equal((commits[0]![0] as string), `0x${Buffer.from(commitHash({ hotkeyPublicKey: validator.publicKey, netuid, uids, values, salt, versionKey: 0n })).toString('hex')}`)
  const { revealWindow } = await import('../../src/chain/subtensor/index.ts')
  const hp = await client.hyperparams()
  const w = revealWindow(netuid, hp.tempo, hp.revealPeriodEpochs, c.blockNumber)
  await chain.advanceTo(w.first)
  const wrong = await client.revealWeights(uids, values, [9, 9, 9, 9, 9, 9, 9, 9], 0n).then(() => null, (e: unknown) => e)
  assert.ok(wrong instanceof ChainError, String(wrong))
  assert.ok(['InvalidRevealCommitHashNotMatch', 'NoWeightsCommitFound'].includes(wrong.code), wrong.code)
  await client.revealWeights(uids, values, salt, 0n)
  const stored = (await chain.api.query.subtensorModule!.weights!(netuid, me)).toJSON() as [number, number][]
  assert.deepEqual(stored, uids.map((u, i) => [u, Math.round((values[i]! * 65535) / 65535)]))

  // The ChainClient path: setWeights commits, and the client reveals in the window by itself.
  await chain.newBlocks(3)
  await client.setWeights(uids, [65535, 0, 30000])
  const pending = client.pendingReveals()
  assert.equal(pending.length, 1)
  // The client reveals when the next block is in the window; its reveal builds that block.
  await chain.advanceTo(pending[0]!.window.first - 1)
  await client.refresh()
  for (let i = 0; i < 600 && client.pendingReveals().length > 0; i++) await new Promise((r) => setTimeout(r, 100))
  assert.equal(client.pendingReveals().length, 0, 'the reveal did not finish')
  const after = (await chain.api.query.subtensorModule!.weights!(netuid, me)).toJSON() as [number, number][]
  assert.deepEqual(after.find(([u]) => u === uids[2])?.[1], 30000)
})

test('a miner publishes its peer id and multiaddrs in the Commitments pallet; a validator reads them back, and refuses hostile commitments', { skip, timeout: 90_000 }, async () => {
  const miner = await connectSubtensor({ url: chain.url, netuid, signer: miners[0]!, retries: 0 })
  try {
    const peerId = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
    const addrs = ['/dns4/miner.example.org/tcp/443/wss', '/ip4/203.0.113.7/tcp/4001/ws']
    const first = await miner.publishPeer(peerId, addrs)
    assert.equal(first.changed, true)
    assert.ok(first.bytes <= 128)
    const stored = (await chain.api.query.commitments!.commitmentOf!(netuid, miners[0]!.address)).toJSON() as { block: number; info: { fields: Record<string, string>[] } }
    assert.equal(stored.block, first.blockNumber)
    assert.equal(Object.keys(stored.info.fields[0]!)[0]!.toLowerCase(), `raw${first.bytes}`)
    const listing = await client.peers()
    assert.deepEqual(listing.peers.get(miners[0]!.address), { peerId, addrs: addrs.map((a) => `${a}/p2p/${peerId}`), block: first.blockNumber })
    // The same bytes again: nothing sent (the pallet allows one commitment per 100 blocks).
    const again = await miner.publishPeer(peerId, addrs)
    assert.deepEqual([again.changed, again.blockNumber], [false, first.blockNumber])
    // Another address inside the rate limit: the pallet's refusal, typed.
    const tooSoon = await miner.publishPeer(peerId, ['/ip4/203.0.113.8/tcp/4001/ws']).then(() => null, (e: unknown) => e)
    assert.ok(tooSoon instanceof ChainError, String(tooSoon))
    console.log('a second commitment inside the rate limit:', tooSoon.code)
    const tooLong = await miner.publishPeer(peerId, [`/dns4/${'x'.repeat(200)}.org/tcp/1`]).then(() => null, (e: unknown) => e)
    assert.ok(tooLong instanceof SubtensorError && tooLong.code === 'bad_options', String(tooLong))

    // Hostile commitments written straight with set_commitment by registered hotkeys.
    const garbage = new TextEncoder().encode('/not/a/webtensor/commitment')
    await chain.submit(chain.api.tx.commitments!.setCommitment!(netuid, { fields: [{ [`Raw${garbage.length}`]: `0x${Buffer.from(garbage).toString('hex')}` }] }), miners[1]!, 'garbage commitment')
    const { multiaddr } = await import('@multiformats/multiaddr')
    const other = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
    const idField = multiaddr(`/p2p/${peerId}`).bytes
    const foreign = multiaddr(`/ip4/203.0.113.9/tcp/1/p2p/${other}`).bytes
    const hostile = new Uint8Array([0x77, 0x74, 0x01, idField.length, ...idField, foreign.length, ...foreign])
    await chain.submit(chain.api.tx.commitments!.setCommitment!(netuid, { fields: [{ [`Raw${hostile.length}`]: `0x${Buffer.from(hostile).toString('hex')}` }] }), miners[2]!, 'foreign commitment')
    await client.refresh()
    const after = await client.peers()
    assert.deepEqual([...after.peers.keys()], [miners[0]!.address])
    assert.deepEqual(after.refused.map((r) => [r.hotkey, r.error]).sort(), [[miners[1]!.address, 'not_webtensor'], [miners[2]!.address, 'other_peer_id']].sort())
  } finally {
    await miner.close()
  }
})

test('a dead port fails with a clear unreachable error after the retries', { timeout: 30_000 }, async () => {
  const logs: string[] = []
  const err = await connectSubtensor({ url: 'ws://127.0.0.1:1', netuid: 1, retries: 2, retryDelayMs: 50, timeoutMs: 2000, log: (l) => logs.push(l) }).then(() => null, (e: unknown) => e)
  assert.ok(err instanceof SubtensorError, String(err))
  assert.equal(err.code, 'unreachable')
  assert.match(err.message, /3 attempt/)
  assert.equal(logs.length, 3)
})

test('a netuid that does not exist is wrong_netuid', { skip, timeout: 30_000 }, async () => {
  const err = await connectSubtensor({ url: chain.url, netuid: 999, retries: 0 }).then(() => null, (e: unknown) => e)
  assert.ok(err instanceof SubtensorError && err.code === 'wrong_netuid', String(err))
})

/**
 * `webtensor verify --chain`: re-deriving subtensor's epoch (raonet, spec 218, under chopsticks)
 * from the state it read and comparing with what the runtime stored.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { connectSubtensor, type SubtensorClient } from '../../src/chain/subtensor/index.ts'
import { verifyChain, verifyChainCommand, type VerifyChainResult } from '../../src/cli/verify-chain.ts'
import { hotkeyFromSecret, type Hotkey } from '../../src/identity/index.ts'
import { raonetAvailable, startChopsticks, TAO, type Chopsticks } from '../support/chopsticks.ts'
import { runCli } from '../support/cli.ts'

const skip = raonetAvailable() ? false : 'needs ../shared/fixtures/subtensor/raonet.json next to the repo'
const TEMPO = 10

let chain: Chopsticks
let validator: Hotkey
let miners: Hotkey[]
let netuid: number
let client: SubtensorClient
let minerUids: number[]
let validatorUid: number
let weightsBlock: number

/** Runs the command in this process; returns its exit code and what it printed. */
async function cmd(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io = {
    stdin: process.stdin,
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
  } as unknown as Parameters<typeof verifyChainCommand>[1]
  const code = await verifyChainCommand(args, io)
  return { code, out, err }
}

before(async () => {
  if (skip !== false) return
  chain = await startChopsticks()
  const owner = await hotkeyFromSecret('//VerifyOwner')
  validator = await hotkeyFromSecret('//VerifyValidator')
  miners = await Promise.all([1, 2, 3].map((i) => hotkeyFromSecret(`//VerifyMiner${i}`)))
  await chain.fund([owner.address, validator.address, ...miners.map((m) => m.address)], 100_000n * TAO)
  netuid = await chain.createSubnet(owner, { tempo: TEMPO, weightsRateLimit: 2, commitReveal: false, targetRegistrationsPerInterval: 100, maxRegistrationsPerBlock: 100 })
  client = await connectSubtensor({ url: chain.url, netuid, signer: validator, retries: 0 })
  validatorUid = (await client.burnedRegister()).uid
  minerUids = []
  for (const m of miners) minerUids.push((await client.burnedRegister({ hotkey: m.address, coldkey: m })).uid)
  await client.addStake(1_000n * TAO)
  // Weights after the miners registered (and a few blocks later, past the rate limit).
  await chain.newBlocks(3)
  weightsBlock = (await client.setWeightsNow(minerUids, [65535, 32768, 1])).blockNumber
  // Two epochs by the tempo rule.
  await chain.newBlocks(2 * (TEMPO + 1) + 1)
}, { timeout: 180_000 })

after(async () => {
  await client?.close()
  await chain?.close()
})

test('the real CLI: verify --chain re-derives the latest epoch and every compared stored value matches (exit 0)', { skip, timeout: 120_000 }, async () => {
  const cli = runCli(['verify', '--chain', chain.url, '--netuid', String(netuid), '--json'])
  const code = await new Promise<number | null>((r) => cli.child.once('exit', (c) => r(c)))
  const out = cli.output()
  assert.equal(code, 0, out)
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as VerifyChainResult
  console.log('verify --chain:', JSON.stringify({ block: r.block, fn: r.epochFn, rao: r.raoEmission, compared: r.compared, yuma: r.yumaWouldStore, seconds: r.seconds }))
  assert.equal(r.epochFn, 'mock')
  assert.deepEqual(r.differences, [])
  for (const f of ['incentive', 'dividends', 'consensus', 'trust', 'rank', 'validatorTrust', 'emission', 'validatorPermit', 'active', 'stakeWeight', 'pruningScores', 'bonds']) assert.ok(r.compared.includes(f as never), `${f} compared`)
  assert.equal(r.block, await chain.head())
  assert.ok(BigInt(r.raoEmission!) > 0n)
  // What the runtime stored: emission to the staked uids, zeros where Yuma's outputs go.
  const emission = (await chain.api.query.subtensorModule!.emission!(netuid)).toJSON() as number[]
  assert.ok(BigInt(emission[validatorUid]!) > 0n, `validator emission ${emission[validatorUid]}`)
  const incentive = (await chain.api.query.subtensorModule!.incentive!(netuid)).toJSON() as number[]
  assert.ok(incentive.every((x) => x === 0), `stored incentive ${JSON.stringify(incentive)}`)
  // The same inputs through Yuma give the miners incentive in the order of the weights.
  const yi = r.yumaWouldStore!.incentive
  assert.ok(yi[minerUids[0]!]! > yi[minerUids[1]!]! && yi[minerUids[1]!]! > 0, JSON.stringify(yi))
})

test('this runtime drains emission and runs its epoch function in every block: --block picks that block, and it matches too', { skip, timeout: 60_000 }, async () => {
  const r = await verifyChain({ url: chain.url, netuid, block: weightsBlock + 1 })
  assert.equal(r.block, weightsBlock + 1)
  assert.deepEqual(r.differences, [])
  const last = (await (await chain.api.at(await chain.api.rpc.chain.getBlockHash(weightsBlock + 1))).query.subtensorModule!.lastMechansimStepBlock!(netuid)).toJSON()
  assert.equal(last, weightsBlock + 1)
})

test('Yuma against this runtime: every incentive the miners should get is named as a difference (exit 1)', { skip, timeout: 60_000 }, async () => {
  const { code, out } = await cmd(['--chain', chain.url, '--netuid', String(netuid), '--epoch-fn', 'yuma'])
  assert.equal(code, 1, out)
  for (const uid of minerUids.slice(0, 2)) assert.match(out, new RegExp(`DIFFERENT incentive\\[uid ${uid}\\]: chain 0, ours [1-9]\\d*`))
})

test('a deliberately wrong input is reported: owner cut and a miner stake changed before the epoch runs', { skip, timeout: 60_000 }, async () => {
  const cut = await verifyChain({ url: chain.url, netuid, alterInputs: (i) => { i.coinbase.subnetOwnerCut += 1000 } })
  // A bigger cut: less for the epoch to pay, and more stake for the owner's uid.
  assert.ok(cut.differences.some((d) => d.field === 'emission' && d.uid === validatorUid), JSON.stringify(cut.differences))
  assert.ok(cut.differences.every((d) => ['emission', 'stakeWeight', 'pruningScores'].includes(d.field)), JSON.stringify(cut.differences))
  const stake = await verifyChain({ url: chain.url, netuid, alterInputs: (i) => { i.alphaStake[minerUids[0]!] = 500n * TAO } })
  const fields = new Set(stake.differences.map((d) => d.field))
  assert.deepEqual([...fields].sort(), ['emission', 'pruningScores', 'stakeWeight'])
  assert.ok(stake.differences.some((d) => d.field === 'stakeWeight' && d.uid === minerUids[0] && d.chain === '0'))
})

test('a stored value altered with dev_setStorage is named (uid, field, chain value, ours)', { skip, timeout: 60_000 }, async () => {
  const before = (await chain.api.query.subtensorModule!.emission!(netuid)).toJSON() as number[]
  const tampered = before.map(String)
  tampered[minerUids[2]!] = '12345'
  await chain.api.rpc('dev_setStorage' as never, { SubtensorModule: { Emission: [[[netuid], tampered]] } } as never)
  const { code, out } = await cmd(['--chain', chain.url, '--netuid', String(netuid)])
  assert.equal(code, 1, out)
  assert.match(out, new RegExp(`DIFFERENT emission\\[uid ${minerUids[2]}\\]: chain "12345", ours "0"`))
  assert.match(out, /1 difference\(s\)/)
})

test('with commit-reveal on: the revealed weights are read and the next epoch still matches', { skip, timeout: 120_000 }, async () => {
  await chain.configure(netuid, { commitReveal: true, revealPeriodEpochs: 1 })
  await chain.newBlocks(3)
  await client.setWeights(minerUids, [1000, 65535, 20000])
  const pending = client.pendingReveals()
  assert.equal(pending.length, 1)
  await chain.advanceTo(pending[0]!.window.first - 1)
  await client.refresh()
  for (let i = 0; i < 600 && client.pendingReveals().length > 0; i++) await new Promise((r) => setTimeout(r, 100))
  assert.equal(client.pendingReveals().length, 0, 'the reveal did not finish')
  await chain.newBlocks(1)
  const r = await verifyChain({ url: chain.url, netuid })
  assert.deepEqual(r.differences, [])
  const yi = r.yumaWouldStore!.incentive
  assert.ok(yi[minerUids[1]!]! > yi[minerUids[0]!]!, `Yuma reads the revealed weights: ${JSON.stringify(yi)}`)
})

test('a node that is not there: exit 2', { timeout: 60_000 }, async () => {
  const { code, err } = await cmd(['--chain', 'ws://127.0.0.1:1', '--netuid', '1'])
  assert.equal(code, 2)
  assert.match(err, /no subtensor node answered at ws:\/\/127\.0\.0\.1:1/)
})

test('bad usage: exit 2 naming the flag', { timeout: 10_000 }, async () => {
  assert.match((await cmd(['--chain', 'http://x', '--netuid', '1'])).err, /--chain takes a ws/)
  assert.match((await cmd(['--chain', 'ws://x', '--netuid', 'a'])).err, /--netuid takes/)
  assert.equal((await cmd(['--chain', 'ws://x', '--netuid', '1', '--epoch-fn', 'x'])).code, 2)
})

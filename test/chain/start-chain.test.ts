/**
 * `webtensor start --chain ws://… --netuid N` on a real subtensor runtime (raonet, spec 218, run
 * offline by chopsticks): the relay and web server follow the subnet, the start's validator and a
 * `webtensor miner --chain` (real Node processes) meet on the mesh, the validator's weights land in
 * the chain's `Weights`, and the server shows the chain's metagraph under the SDK's field names.
 */
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { connectSubtensor, type SubtensorClient } from '../../src/chain/subtensor/index.ts'
import { parseChainState } from '../../src/chain/http-chain-client.ts'
import { hotkeyFromSecret, type Hotkey } from '../../src/identity/index.ts'
import { runCli, type RunningCli } from '../support/cli.ts'
import { raonetAvailable, startChopsticks, TAO, type Chopsticks } from '../support/chopsticks.ts'

const skip = raonetAvailable() ? false : 'needs ../shared/fixtures/subtensor/raonet.json next to the repo'
const TEMPO = 10

let chain: Chopsticks
let netuid: number
let validator: Hotkey
let miner: Hotkey
let client: SubtensorClient
let blocks: ReturnType<typeof setInterval> | undefined
const running: RunningCli[] = []
const dir = mkdtempSync(join(tmpdir(), 'wt-start-chain-'))

const secretFile = (name: string, secret: string): string => {
  const f = join(dir, name)
  writeFileSync(f, `${secret}\n`)
  chmodSync(f, 0o600)
  return f
}

before(async () => {
  if (skip !== false) return
  chain = await startChopsticks()
  const owner = await hotkeyFromSecret('//StartChainOwner')
  validator = await hotkeyFromSecret('//StartChainValidator')
  miner = await hotkeyFromSecret('//StartChainMiner')
  await chain.fund([owner.address, validator.address, miner.address], 100_000n * TAO)
  netuid = await chain.createSubnet(owner, { tempo: TEMPO, weightsRateLimit: 2, commitReveal: false, targetRegistrationsPerInterval: 100, maxRegistrationsPerBlock: 100 })
  client = await connectSubtensor({ url: chain.url, netuid, signer: validator, retries: 0 })
  await client.burnedRegister()
  await client.burnedRegister({ hotkey: miner.address, coldkey: miner })
  await client.addStake(1_000n * TAO)
  // Past an epoch: the runtime gives the staked validator its permit.
  await chain.newBlocks(TEMPO + 2)
  await client.refresh()
}, { timeout: 180_000 })

after(async () => {
  clearInterval(blocks)
  for (const r of running) await r.stop().catch(() => {})
  await client?.close()
  await chain?.close()
})

test('start --chain: the start\'s validator and a chain miner meet on the mesh, weights land on chain, the server shows the chain\'s metagraph', { skip, timeout: 600_000 }, async () => {
  const t0 = Date.now()
  const mark = (what: string): void => console.log(`# ${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  const mg = client.metagraph()!
  const vUid = client.uidOf(validator.address)!
  const mUid = client.uidOf(miner.address)!
  assert.equal(mg.neurons.find((n) => n.uid === vUid)?.validatorPermit, true, 'the validator holds a permit')

  const start = runCli(['start', '--chain', chain.url, '--netuid', String(netuid), '--port', '0', '--relay-port', '0', '--state', join(dir, 'start-state'), '--secret-file', secretFile('validator', '//StartChainValidator')])
  running.push(start)
  const [, url] = await start.waitFor(/open (http:\/\/\S+) to mine/, 180_000)
  await start.waitFor(new RegExp(`validator ${validator.address} running on subnet ${netuid}`), 120_000)
  mark('start --chain up with its validator')
  const m = runCli(['miner', '--relay', url!, '--chain', chain.url, '--netuid', String(netuid), '--state', join(dir, 'miner-state'), '--secret-file', secretFile('miner', '//StartChainMiner')])
  running.push(m)
  await m.waitFor(new RegExp(`miner ${miner.address} running`), 120_000)
  mark('miner up')

  // Blocks keep coming, as on a live chain; the validator sets weights every half tempo.
  blocks = setInterval(() => void chain.newBlocks(1).catch(() => {}), 400)
  const weightsOf = async (uid: number): Promise<[number, number][]> =>
    ((await chain.api.query.subtensorModule!.weights!(netuid, uid)) as unknown as { toJSON(): [number, number][] }).toJSON()
  const deadline = Date.now() + 180_000
  let row: [number, number][] = []
  while (Date.now() < deadline) {
    row = await weightsOf(vUid)
    if (row.some(([u, w]) => u === mUid && w > 0)) break
    await new Promise((r) => setTimeout(r, 1000))
  }
  assert.ok(row.some(([u, w]) => u === mUid && w > 0), `the validator's weights on chain name the miner: ${JSON.stringify(row)}\n${start.output().slice(-2000)}`)
  clearInterval(blocks)
  mark('weights on chain')

  // The page's config says where the chain is read; the state parses as a page parses it.
  const config = (await (await fetch(new URL('/api/config', url))).json()) as { chain?: { kind: string; netuid: number; url: string; state: string } }
  assert.deepEqual(config.chain, { kind: 'subtensor', netuid, url: chain.url, state: '/api/chain/state' })
  await client.refresh()
  await new Promise((r) => setTimeout(r, 2500)) // past the API's 1 s cache and the follower's read
  const state = parseChainState(await (await fetch(new URL('/api/chain/state', url))).json())
  assert.ok(state.ok, state.ok ? '' : state.reason)
  const served = state.state.metagraph!
  assert.equal(served.block, client.metagraph()!.block)
  assert.deepEqual(served.neurons, client.metagraph()!.neurons)

  // The metagraph under the SDK's names, each value as the chain stores it at that block.
  const sdk = (await (await fetch(new URL('/api/chain/metagraph', url))).json()) as { block: number; neurons: Record<string, unknown>[] }
  const at = await chain.api.rpc.chain.getBlockHash(sdk.block)
  const q = (await chain.api.at(at)).query.subtensorModule!
  const lastUpdate = ((await q.lastUpdate!(netuid)) as unknown as { toJSON(): number[] }).toJSON()
  const permits = ((await q.validatorPermit!(netuid)) as unknown as { toJSON(): boolean[] }).toJSON()
  const incentive = ((await q.incentive!(netuid)) as unknown as { toJSON(): number[] }).toJSON()
  for (const uid of [vUid, mUid]) {
    const n = sdk.neurons.find((x) => x.uid === uid)!
    for (const field of ['hotkey', 'stake', 'rank', 'trust', 'consensus', 'incentive', 'dividends', 'emission', 'validator_trust', 'validator_permit', 'last_update', 'block_at_registration', 'active', 'axon']) {
      assert.ok(field in n, `${field} in ${JSON.stringify(n)}`)
    }
    assert.equal(n.last_update, lastUpdate[uid])
    assert.equal(n.validator_permit, permits[uid])
    assert.equal(n.incentive, (incentive[uid] ?? 0) / 65535)
  }
  assert.ok((sdk.neurons.find((x) => x.uid === vUid)!.last_update as number) > 0, 'the validator set weights (last_update moved)')
})

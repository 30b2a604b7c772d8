/**
 * `webtensor start --chain ws://… --netuid N` on a real subtensor runtime (raonet, spec 218, run
 * offline by chopsticks): the relay and web server follow the subnet; a `webtensor miner --chain`
 * joins another relay (`webtensor relay`) and publishes its address in the Commitments pallet; the
 * start's validator finds it only there, dials it, scores it, and its weights land in the chain's
 * `Weights`; hostile commitments of other hotkeys are ignored with a logged reason; the server
 * shows the chain's metagraph under the SDK's field names, the published address as `axon`.
 */
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { decodePeerCommitment, type SubtensorClient } from '../../src/chain/subtensor/index.ts'
import { parseChainState } from '../../src/chain/http-chain-client.ts'
import type { Hotkey } from '../../src/identity/index.ts'
import { runCli, type RunningCli } from '../support/cli.ts'
import { raonetAvailable, setupValidatorSubnet, startChopsticks, type Chopsticks } from '../support/chopsticks.ts'

const skip = raonetAvailable() ? false : 'needs ../shared/fixtures/subtensor/raonet.json next to the repo'
const TEMPO = 10

let chain: Chopsticks
let netuid: number
let validator: Hotkey
let miner: Hotkey
let client: SubtensorClient
let hostile: Hotkey[]
let producing = false
/**
 * Builds a block, waits 400 ms, and again, until stopped: one build at a time (on a loaded machine
 * a build takes seconds, and builds piled up beside the one a transaction triggers can hide its
 * inclusion: set_weights then times out unseen).
 */
const produceBlocks = async (): Promise<void> => {
  producing = true
  while (producing) {
    await chain.newBlocks(1).catch(() => {})
    await new Promise((r) => setTimeout(r, 400))
  }
}
const running: RunningCli[] = []
const dir = mkdtempSync(join(tmpdir(), 'wt-start-chain-'))

const secretFile = (name: string, secret: string): string => {
  const f = join(dir, name)
  writeFileSync(f, `${secret}\n`)
  chmodSync(f, 0o600)
  return f
}

const commit = async (who: Hotkey, bytes: Uint8Array, what: string): Promise<void> => {
  await chain.submit(chain.api.tx.commitments!.setCommitment!(netuid, { fields: [{ [`Raw${bytes.length}`]: `0x${Buffer.from(bytes).toString('hex')}` }] }), who, what)
}

before(async () => {
  if (skip !== false) return
  chain = await startChopsticks()
  let registered: Hotkey[]
  ;({ netuid, validator, client, registered } = await setupValidatorSubnet(chain, 'StartChain', ['Miner', 'Garbage', 'Foreign'], TEMPO))
  ;[miner, ...hostile] = registered as [Hotkey, Hotkey, Hotkey]
  // Registered hotkeys publishing what no miner should: garbage bytes, and webtensor's layout
  // with an address of another peer than the one it names.
  await commit(hostile[0]!, new TextEncoder().encode('\u0000\u00ff garbage, not an address'), 'garbage commitment')
  const id = multiaddr('/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo').bytes
  const other = multiaddr('/ip4/127.0.0.1/tcp/9/ws/p2p/12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq').bytes
  await commit(hostile[1]!, new Uint8Array([0x77, 0x74, 0x01, id.length, ...id, other.length, ...other]), 'foreign commitment')
}, { timeout: 180_000 })

after(async () => {
  producing = false
  for (const r of running) await r.stop().catch(() => {})
  await client?.close()
  await chain?.close()
})

test('start --chain: a chain miner on another relay publishes its address on chain, the start\'s validator dials it from there and weights it on chain, hostile commitments are ignored, the server shows the chain\'s metagraph', { skip, timeout: 600_000 }, async () => {
  const t0 = Date.now()
  const mark = (what: string): void => console.log(`# ${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  await client.refresh()
  const mg = client.metagraph()!
  const vUid = client.uidOf(validator.address)!
  const mUid = client.uidOf(miner.address)!
  assert.equal(mg.neurons.find((n) => n.uid === vUid)?.validatorPermit, true, 'the validator holds a permit')

  const start = runCli(['start', '--chain', chain.url, '--netuid', String(netuid), '--port', '0', '--relay-port', '0', '--state', join(dir, 'start-state'), '--secret-file', secretFile('validator', '//StartChainValidator')])
  running.push(start)
  const [, url] = await start.waitFor(/open (http:\/\/\S+) to mine/, 180_000)
  await start.waitFor(new RegExp(`validator ${validator.address} running on subnet ${netuid}`), 120_000)
  mark('start --chain up with its validator')
  // The miner joins another relay: the validator can find it only through the chain.
  const relay = runCli(['relay', '--port', '0', '--relay-port', '0', '--state', join(dir, 'relay-b')])
  running.push(relay)
  const [, otherUrl] = await relay.waitFor(/open (http:\/\/\S+) to mine/, 120_000)
  const m = runCli(['miner', '--relay', otherUrl!, '--chain', chain.url, '--netuid', String(netuid), '--state', join(dir, 'miner-state'), '--secret-file', secretFile('miner', '//StartChainMiner')])
  running.push(m)
  await m.waitFor(new RegExp(`miner ${miner.address} running`), 120_000)
  const [, peerId, published] = await m.waitFor(/chain peers: published (\S+) at (\S+)/, 60_000)
  mark('miner up, its address on chain')
  const stored = ((await chain.api.query.commitments!.commitmentOf!(netuid, miner.address)).toJSON() as { info: { fields: Record<string, string>[] } }).info.fields[0]!
  const onChain = decodePeerCommitment(Buffer.from(Object.values(stored)[0]!.slice(2), 'hex'))
  assert.ok(onChain.ok, JSON.stringify(onChain))
  assert.equal(onChain.peer.peerId, peerId)
  assert.equal(onChain.peer.addrs[0], published!.endsWith(`/p2p/${peerId}`) ? published : `${published}/p2p/${peerId}`)
  await start.waitFor(new RegExp(`chain peers: linked to ${miner.address}'s node ${peerId}`), 60_000)
  mark('the validator dialled the published address')
  assert.match(start.output(), new RegExp(`ignored the commitment of ${hostile[0]!.address} \\(not_webtensor`))
  assert.match(start.output(), new RegExp(`ignored the commitment of ${hostile[1]!.address} \\(other_peer_id`))

  // Blocks keep coming, as on a live chain; the validator sets weights every half tempo.
  void produceBlocks()
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
  producing = false
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
  // The miner's published address is its axon (re-read by the server every 30 s).
  const axonDeadline = Date.now() + 60_000
  let axon: unknown
  while (Date.now() < axonDeadline) {
    const again = (await (await fetch(new URL('/api/chain/metagraph', url))).json()) as { neurons: Record<string, unknown>[] }
    axon = again.neurons.find((x) => x.uid === mUid)?.axon
    if (typeof axon === 'string' && axon.includes(onChain.peer.peerId)) break
    await new Promise((r) => setTimeout(r, 2000))
  }
  assert.equal(axon, onChain.peer.addrs[0])
  assert.ok((sdk.neurons.find((x) => x.uid === vUid)!.last_update as number) > 0, 'the validator set weights (last_update moved)')
})

// The gossip chain client on an in-memory mesh: it follows a restarted owner (new chain session,
// lower blocks), ignores late messages of the old session, and sets weights directly or by
// subtensor-style commit-reveal.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { u8aToHex } from '@polkadot/util'
import { hotkeyFromSecret } from '../identity/identity.ts'
import type { Envelope, Payloads } from '../p2p/index.ts'
import { MemoryHub } from '../../test/support/memory-mesh.ts'
import { commitHash } from './commit-hash.ts'
import { createGossipChainClient, GossipChainError, type GossipChainOptions } from './gossip-client.ts'
import { epochIndex } from './local-chain.ts'

const [owner, validator, observer] = await Promise.all(['//GossipOwner', '//AliceHot', '//GossipObserver'].map((s) => hotkeyFromSecret(s)))
const GENESIS = `0x${'11'.repeat(32)}`
const HASH = `0x${'22'.repeat(32)}`
const flush = () => new Promise((r) => setImmediate(r))

function metagraph(session: string, block: number, hotkeys: string[] = [validator.address], over: Partial<Payloads['metagraph']> = {}): Payloads['metagraph'] {
  return {
    block,
    epoch: 0,
    tempo: 10,
    neurons: hotkeys.map((hotkey, uid) => ({ uid, hotkey, stake: '0', registeredAt: 0, validatorPermit: true, lastUpdate: 0 })),
    chain: { genesis: GENESIS, session, head: block, headHash: HASH },
    blockHash: HASH,
    difficulty: '10000000',
    ...over,
  }
}

function epoch(session: string, n: number): Payloads['epoch'] {
  return { epoch: n, block: n * 11, incentive: [65535], dividends: [0], digest: `d${n}`, chain: { genesis: GENESIS, session }, logSeq: n }
}

function setup(options: Partial<GossipChainOptions> = {}) {
  const hub = new MemoryHub()
  const ownerMesh = hub.join(owner)
  const mesh = hub.join(validator)
  const watch = hub.join(observer)
  const lines: string[] = []
  const chain = createGossipChainClient({ mesh, netuid: 1, ownerHotkey: owner.address, log: (l) => lines.push(l), ...options })
  const seen = { weights: [] as Envelope<'weights'>[], commit: [] as Envelope<'commit'>[], reveal: [] as Envelope<'reveal'>[] }
  watch.subscribe('weights', (e) => seen.weights.push(e))
  watch.subscribe('commit', (e) => seen.commit.push(e))
  watch.subscribe('reveal', (e) => seen.reveal.push(e))
  return { ownerMesh, chain, lines, seen }
}

test('a restarted owner (new session, lower blocks) is followed; late messages of the old session are ignored', async () => {
  const { ownerMesh, chain, lines } = setup()
  const other = 'someone-else'
  await ownerMesh.publish('metagraph', metagraph('A', 100))
  await ownerMesh.publish('epoch', epoch('A', 9))
  await ownerMesh.publish('metagraph', metagraph('A', 99)) // lower block, same session: stale
  assert.equal(chain.metagraph()?.block, 100)
  assert.equal(chain.latestEpoch()?.epoch, 9)
  assert.equal(chain.uidOf(validator.address), 0)

  // The owner restarts: new session, blocks from 3, other neurons.
  await ownerMesh.publish('metagraph', metagraph('B', 3, [other, validator.address]))
  assert.equal(chain.metagraph()?.block, 3)
  assert.equal(chain.metagraph()?.chain.session, 'B')
  assert.equal(chain.uidOf(validator.address), 1, 'the uid map is the new session\'s')
  assert.equal(chain.uidOf(other), 0)
  assert.equal(chain.latestEpoch(), null, 'the old session\'s epoch is forgotten')
  assert.equal(lines.filter((l) => l.includes('new session')).length, 1)
  assert.match(lines.find((l) => l.includes('new session'))!, /session B/)

  // Late messages of session A (higher blocks and epochs) no longer count.
  await ownerMesh.publish('metagraph', metagraph('A', 101))
  await ownerMesh.publish('epoch', epoch('A', 10))
  assert.equal(chain.metagraph()?.chain.session, 'B')
  assert.equal(chain.metagraph()?.block, 3)
  assert.equal(chain.latestEpoch(), null)

  // Within session B, lower blocks are still ignored and higher ones followed.
  await ownerMesh.publish('metagraph', metagraph('B', 2))
  assert.equal(chain.metagraph()?.block, 3)
  await ownerMesh.publish('metagraph', metagraph('B', 4))
  assert.equal(chain.metagraph()?.block, 4)
})

test('epochs are keyed by session: a new session\'s first epoch resets, the old session\'s are ignored after', async () => {
  const { ownerMesh, chain } = setup()
  const got: number[] = []
  chain.onEpoch((e) => got.push(e.epoch))
  await ownerMesh.publish('epoch', epoch('A', 5))
  await ownerMesh.publish('epoch', epoch('A', 5)) // not newer
  await ownerMesh.publish('epoch', epoch('B', 1)) // restart: lower epoch, new session
  assert.deepEqual(chain.latestEpoch()?.chain, { genesis: GENESIS, session: 'B' })
  await ownerMesh.publish('epoch', epoch('A', 6)) // late, old session
  await ownerMesh.publish('epoch', epoch('B', 1)) // not newer within B
  await ownerMesh.publish('epoch', epoch('B', 2))
  assert.deepEqual(got, [5, 1, 2])
  assert.equal(chain.latestEpoch()?.logSeq, 2)
  // The metagraph of the session the epochs moved to is followed whatever its block.
  await ownerMesh.publish('metagraph', metagraph('B', 1))
  assert.equal(chain.metagraph()?.block, 1)
  assert.equal(chain.latestEpoch()?.epoch, 2, 'a metagraph of the current session keeps its epoch')
  await ownerMesh.publish('metagraph', metagraph('A', 500))
  assert.equal(chain.metagraph()?.block, 1)
})

test('a different genesis is a different chain too', async () => {
  const { ownerMesh, chain } = setup()
  await ownerMesh.publish('metagraph', metagraph('A', 50))
  await ownerMesh.publish('metagraph', metagraph('A', 10, undefined, { chain: { genesis: `0x${'33'.repeat(32)}`, session: 'A', head: 0, headHash: HASH } }))
  assert.equal(chain.metagraph()?.block, 10)
  assert.equal(chain.chainInfo()?.genesis, `0x${'33'.repeat(32)}`)
})

test('chainInfo: the latest metagraph\'s session, block hash, difficulty and log head', async () => {
  const { ownerMesh, chain } = setup()
  assert.equal(chain.chainInfo(), null)
  await ownerMesh.publish('metagraph', metagraph('A', 7, undefined, { difficulty: '18446744073709551615', blockHash: `0x${'44'.repeat(32)}` }))
  assert.deepEqual(chain.chainInfo(), { genesis: GENESIS, session: 'A', head: 7, blockHash: `0x${'44'.repeat(32)}`, difficulty: 18446744073709551615n })
})

test('setWeights publishes weights with the version key', async () => {
  const { ownerMesh, chain, seen } = setup({ versionKey: 7n })
  await ownerMesh.publish('metagraph', metagraph('A', 30, undefined, { epoch: 2 }))
  await chain.setWeights([0, 1], [65535, 100])
  assert.equal(seen.weights.length, 1)
  assert.deepEqual(seen.weights[0]!.payload, { epoch: 2, uids: [0, 1], weights: [65535, 100], versionKey: '7' })
  assert.equal(seen.commit.length, 0)
})

test("subtensor's epoch index: (block + netuid + 1) / (tempo + 1)", () => {
  // netuid 1, tempo 10: epochs run at blocks 8, 19, 30 (see local-chain); the index moves on the block after.
  assert.deepEqual([0, 8, 9, 19, 20, 30, 31].map((b) => epochIndex(1, 10, b)), [0, 0, 1, 1, 2, 2, 3])
})

const commitReveal = { revealPeriodEpochs: 1, netuid: 1, tempo: 10, hotkeyPublicKey: validator.publicKey }

test('commit-reveal: a commit now, the matching reveal once the chain reaches the reveal epoch', async () => {
  const { ownerMesh, chain, seen, lines } = setup({ commitReveal, versionKey: 3n })
  await ownerMesh.publish('metagraph', metagraph('A', 20)) // epoch index 2
  await chain.setWeights([0, 2], [65535, 9])
  assert.equal(seen.weights.length, 0, 'no plain weights')
  assert.equal(seen.commit.length, 1)
  // Still in the commit's epoch: nothing revealed.
  for (const block of [21, 29, 30]) await ownerMesh.publish('metagraph', metagraph('A', block))
  await flush()
  assert.equal(seen.reveal.length, 0)
  // Block 31: epoch index 3 = 2 + revealPeriodEpochs.
  await ownerMesh.publish('metagraph', metagraph('A', 31))
  await flush()
  assert.equal(seen.reveal.length, 1)
  const reveal = seen.reveal[0]!.payload
  assert.deepEqual({ uids: reveal.uids, weights: reveal.weights, versionKey: reveal.versionKey }, { uids: [0, 2], weights: [65535, 9], versionKey: '3' })
  assert.equal(reveal.salt.length, 8)
  // The reveal opens the commit: same hash as subtensor would recompute.
  const hash = u8aToHex(commitHash({ hotkeyPublicKey: validator.publicKey, netuid: 1, uids: reveal.uids, values: reveal.weights, salt: reveal.salt, versionKey: BigInt(reveal.versionKey) }))
  assert.equal(hash, seen.commit[0]!.payload.hash)
  assert.ok(lines.some((l) => l.includes('revealed')))
  // Revealed once only.
  await ownerMesh.publish('metagraph', metagraph('A', 32))
  await flush()
  assert.equal(seen.reveal.length, 1)
})

test('commit-reveal: a commit whose reveal window passed unseen is dropped, not revealed late', async () => {
  const { ownerMesh, chain, seen, lines } = setup({ commitReveal })
  await ownerMesh.publish('metagraph', metagraph('A', 20))
  await chain.setWeights([0], [65535])
  await ownerMesh.publish('metagraph', metagraph('A', 42)) // epoch index 4 > 2 + 1
  await flush()
  assert.equal(seen.reveal.length, 0)
  assert.ok(lines.some((l) => l.includes('expired')))
  await ownerMesh.publish('metagraph', metagraph('A', 43))
  await flush()
  assert.equal(seen.reveal.length, 0)
})

test('commit-reveal: two commits reveal in their own epochs; an owner restart keeps them, a new chain drops them', async () => {
  const { ownerMesh, chain, seen } = setup({ commitReveal: { ...commitReveal, revealPeriodEpochs: 2 } })
  await ownerMesh.publish('metagraph', metagraph('A', 20)) // index 2 → reveal at 4 (blocks 42..52)
  await chain.setWeights([0], [1])
  await ownerMesh.publish('metagraph', metagraph('A', 31)) // index 3 → reveal at 5 (blocks 53..63)
  await chain.setWeights([0], [2])
  await ownerMesh.publish('metagraph', metagraph('A', 42))
  await flush()
  assert.deepEqual(seen.reveal.map((r) => r.payload.weights), [[1]])
  await ownerMesh.publish('metagraph', metagraph('A', 53))
  await flush()
  assert.deepEqual(seen.reveal.map((r) => r.payload.weights), [[1], [2]])

  // An owner restart on the same chain (same genesis) replayed its log: the commit is still there.
  await chain.setWeights([0], [3]) // block 53: index 5 → reveal at 7 (blocks 75..85)
  await ownerMesh.publish('metagraph', metagraph('B', 54))
  await ownerMesh.publish('metagraph', metagraph('B', 64))
  await flush()
  assert.equal(seen.reveal.length, 2)
  await ownerMesh.publish('metagraph', metagraph('B', 75))
  await flush()
  assert.deepEqual(seen.reveal.map((r) => r.payload.weights), [[1], [2], [3]])

  await chain.setWeights([0], [4])
  // A new chain (another genesis) counts from block 0 and never saw the commit: it is dropped.
  await ownerMesh.publish('metagraph', { ...metagraph('C', 2), chain: { genesis: `0x${'ab'.repeat(32)}`, session: 'C', head: 2, headHash: HASH } })
  for (const block of [20, 31, 42, 53, 64, 75, 86, 97]) await ownerMesh.publish('metagraph', { ...metagraph('C', block), chain: { genesis: `0x${'ab'.repeat(32)}`, session: 'C', head: block, headHash: HASH } })
  await flush()
  assert.deepEqual(seen.reveal.map((r) => r.payload.weights), [[1], [2], [3]])
})

test('commit-reveal needs a metagraph (the commit block) first', async () => {
  const { chain, seen } = setup({ commitReveal })
  await assert.rejects(chain.setWeights([0], [1]), (err: unknown) => err instanceof GossipChainError && err.code === 'no_metagraph')
  assert.equal(seen.commit.length, 0)
})

test('bad options are refused', () => {
  const hub = new MemoryHub()
  const mesh = hub.join(validator)
  assert.throws(() => createGossipChainClient({ mesh, netuid: 1, ownerHotkey: owner.address, versionKey: 1n << 64n }), GossipChainError)
  assert.throws(() => createGossipChainClient({ mesh, netuid: 1, ownerHotkey: owner.address, commitReveal: { ...commitReveal, tempo: 0 } }), GossipChainError)
})

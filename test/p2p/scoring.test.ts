// Peer scoring with real Node peers: a neighbour that floods invalid messages falls below the
// graylist threshold at every neighbour it reached, is pruned from their meshes, and even its
// valid messages are then dropped, while the honest peers keep delivering to each other.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { encode as cborEncode } from 'cborg'
import type { GossipSub } from '@libp2p/gossipsub'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import { createMesh, createRelay, encodeEnvelope, envelopeBody, GOSSIP_KINDS, topicFor, type Authorize, type Envelope, type Mesh } from '../../src/p2p/index.ts'
import { SCORE_THRESHOLDS } from '../../src/p2p/scoring.ts'
import { until } from './harness.ts'

const NETUID = 4
const relay = await createRelay({ host: '127.0.0.1', port: 0 })
await relay.start()
const bootstrap = relay.multiaddrs

const signers = await Promise.all(['//ScoreA', '//ScoreB', '//ScoreC', '//ScoreFlooder'].map((s) => hotkeyFromSecret(s)))
const meshes: Mesh[] = []
for (const signer of signers) {
  const mesh = await createMesh({ netuid: NETUID, signer, bootstrap, listen: ['/ip4/127.0.0.1/tcp/0'], targetConnections: 3, gossipKinds: [...GOSSIP_KINDS, 'query'] })
  await mesh.start()
  meshes.push(mesh)
}
const honest = meshes.slice(0, 3)
const flooder = meshes[3]
const flooderSigner = signers[3]

after(async () => {
  await Promise.all(meshes.map((m) => m.stop()))
  await relay.stop()
})

/** gossipsub's runtime API beyond the exported type: scores and mesh membership. */
type ScoredPubsub = GossipSub & {
  getScore(peerId: string): number
  getMeshPeers(topic: string): string[]
  publish(topic: string, data: Uint8Array, opts?: { floodPublish?: boolean }): Promise<unknown>
}
const pubsubOf = (m: Mesh) => (m.libp2p.services as { pubsub: ScoredPubsub }).pubsub
const queryTopic = topicFor(NETUID, 'query')

test('a peer flooding invalid messages is graylisted and pruned; honest peers keep delivering', async () => {
  await until('the flooder to see every honest peer on the query topic', () => pubsubOf(flooder).getSubscribers(queryTopic).length === 3, 30_000)
  for (const m of honest) assert.ok(pubsubOf(m).getScore(flooder.peerId) >= 0, 'no penalty before the flood')

  const got = honest.map(() => [] as Envelope<'query'>[])
  honest.forEach((m, i) => m.subscribe('query', (e) => got[i].push(e)))
  const base: Envelope<'query'> = { netuid: NETUID, kind: 'query', hotkey: flooderSigner.address, peerId: flooder.peerId, seq: 0, timestamp: Date.now(), payload: { id: 'x', miner: 'any', task: 'test', input: { prompt: 'p' } } }
  // The attacker runs its own code: it sends to every peer on the topic (flood publishing), not
  // only its mesh, so every honest peer is its neighbour for this test.
  const send = (bytes: Uint8Array) => pubsubOf(flooder).publish(queryTopic, bytes, { floodPublish: true })
  // Before the flood, a valid message of the flooder reaches every honest peer.
  await send(encodeEnvelope({ ...base, seq: 1, payload: { ...base.payload, id: 'before' } }, flooderSigner))
  await until('the flooder\'s valid message to reach every honest peer', () => got.every((g) => g.some((e) => e.payload.id === 'before')))

  // The flood: bad signatures and well-signed envelopes of another subnet, straight into gossipsub
  // (past the flooder's own checks). Both are penalised reasons, so its neighbours' validators Reject them.
  for (let i = 0; i < 20; i++) {
    const e = { ...base, seq: 10 + i, payload: { ...base.payload, id: `forged-${i}` } }
    await send(cborEncode([envelopeBody(e), new Uint8Array(64)]))
    await send(encodeEnvelope({ ...e, netuid: NETUID + 1, seq: 100 + i }, flooderSigner))
  }
  await until('every honest peer to graylist the flooder', () => honest.every((m) => pubsubOf(m).getScore(flooder.peerId) < SCORE_THRESHOLDS.graylistThreshold))
  await until('every honest peer to prune the flooder from its query mesh', () => honest.every((m) => !pubsubOf(m).getMeshPeers(queryTopic).includes(flooder.peerId)))
  for (const m of honest) {
    const r = m.stats().rejected
    assert.ok((r.bad_signature ?? 0) + (r.wrong_netuid ?? 0) >= 1, JSON.stringify(r))
  }
  assert.deepEqual(got.map((g) => g.map((e) => e.payload.id)), [['before'], ['before'], ['before']], 'nothing invalid reached a handler')

  // Graylisted: even a valid, well-signed message of the flooder is dropped unread.
  await send(encodeEnvelope({ ...base, seq: 1000, timestamp: Date.now(), payload: { ...base.payload, id: 'after' } }, flooderSigner))
  // Honest peers still deliver to each other (and only these arrive).
  for (const [i, m] of honest.entries()) await m.publish('query', { id: `honest-${i}`, miner: 'any', task: 'test', input: { prompt: 'p' } })
  await until('honest messages to reach every other honest peer', () => got.every((g) => g.filter((e) => e.payload.id.startsWith('honest-')).length === 2))
  await new Promise((r) => setTimeout(r, 2_000)) // time for the flooder's message to arrive, were it accepted
  for (const g of got) assert.ok(!g.some((e) => e.payload.id === 'after'), 'the graylisted flooder\'s valid message was delivered')
  for (const a of honest) for (const b of honest) if (a !== b) assert.ok(pubsubOf(a).getScore(b.peerId) >= 0, 'honest peers keep a non-negative score')
  console.log(`flooder's score at its neighbours: ${honest.map((m) => pubsubOf(m).getScore(flooder.peerId).toFixed(0)).join(', ')} (graylist ${SCORE_THRESHOLDS.graylistThreshold})`)
})

test('roles at the door: chain state not from the owner is rejected before its signature and costs the sender score; weights without a permit are ignored', async () => {
  const NET = NETUID + 10
  await Promise.all(meshes.map((m) => m.stop())) // the first test's peers (of another subnet) would take the links
  const [owner, a, b, rogue] = await Promise.all(['//DoorOwner', '//DoorA', '//DoorB', '//DoorRogue'].map((s) => hotkeyFromSecret(s)))
  const permitted = new Set([a.address])
  const authorize: Authorize = (kind, hotkey) => {
    if ((kind === 'metagraph' || kind === 'epoch') && hotkey !== owner.address) return { reason: 'wrong_role', detail: `${kind} from ${hotkey}`, action: 'reject' }
    if (kind === 'weights' && !permitted.has(hotkey)) return { reason: 'no_permit', detail: hotkey, action: 'ignore' }
    return null
  }
  const door: Mesh[] = []
  for (const signer of [a, b]) {
    const m = await createMesh({ netuid: NET, signer, bootstrap, listen: ['/ip4/127.0.0.1/tcp/0'], targetConnections: 8, authorize })
    await m.start()
    door.push(m)
  }
  const rogueMesh = await createMesh({ netuid: NET, signer: rogue, bootstrap, listen: ['/ip4/127.0.0.1/tcp/0'], targetConnections: 8 })
  await rogueMesh.start()
  door.push(rogueMesh)
  try {
    const metagraphTopic = topicFor(NET, 'metagraph')
    await until('the rogue to see both peers on the metagraph topic', () => pubsubOf(rogueMesh).getSubscribers(metagraphTopic).length === 2, 30_000)
    const got: string[] = []
    for (const m of door.slice(0, 2)) {
      m.subscribe('metagraph', (e) => got.push(`metagraph from ${e.hotkey}`))
      m.subscribe('weights', (e) => got.push(`weights from ${e.hotkey}`))
    }
    const ZERO_HASH = `0x${'0'.repeat(64)}`
    const forged = (seq: number): Envelope<'metagraph'> => ({ netuid: NET, kind: 'metagraph', hotkey: rogue.address, peerId: rogueMesh.peerId, seq, timestamp: Date.now(), payload: { block: seq, epoch: 0, tempo: 10, neurons: [], chain: { genesis: ZERO_HASH, session: 'rogue', head: 0, headHash: ZERO_HASH }, blockHash: ZERO_HASH, difficulty: '0' } })
    // Signed by the rogue itself: a well-formed message from the wrong role. And one whose
    // signature is garbage: refused as wrong_role all the same, so no sr25519 work was spent.
    for (let i = 1; i <= 10; i++) await pubsubOf(rogueMesh).publish(metagraphTopic, encodeEnvelope(forged(i), rogue), { floodPublish: true })
    await pubsubOf(rogueMesh).publish(metagraphTopic, cborEncode([envelopeBody(forged(99)), new Uint8Array(64)]), { floodPublish: true })
    await until('both peers to refuse the rogue\'s chain messages', () => door.slice(0, 2).every((m) => (m.stats().rejected.wrong_role ?? 0) >= 5))
    // Scores are refreshed on gossipsub's heartbeat.
    await until('both peers to lower the rogue\'s score', () => door.slice(0, 2).every((m) => pubsubOf(m).getScore(rogueMesh.peerId) < 0), 10_000)
    assert.equal(door.slice(0, 2).reduce((s, m) => s + (m.stats().rejected.bad_signature ?? 0), 0), 0, 'the role check came before the signature')
    // Weights from a hotkey without a permit: ignored (permits may lag between peers), no penalty.
    await door[1]!.publish('weights', { epoch: 1, uids: [0], weights: [65535], versionKey: '0' })
    await door[0]!.publish('weights', { epoch: 1, uids: [0], weights: [65535], versionKey: '0' })
    await until('a\'s permitted weights to reach b', () => got.includes(`weights from ${a.address}`))
    await until('b\'s weights to be refused at a', () => (door[0]!.stats().rejected.no_permit ?? 0) >= 1)
    assert.ok(pubsubOf(door[0]!).getScore(door[1]!.peerId) >= 0, 'ignored, not penalised')
    assert.deepEqual(got.filter((g) => g.startsWith('metagraph')), [], 'no forged chain state reached a handler')
    console.log(`rogue's score at its neighbours: ${door.slice(0, 2).map((m) => pubsubOf(m).getScore(rogueMesh.peerId).toFixed(0)).join(', ')}; refusals ${JSON.stringify(door[0]!.stats().rejected)}`)
  } finally {
    await Promise.all(door.map((m) => m.stop()))
  }
})

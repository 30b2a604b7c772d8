// Node-only mesh: a relay and several Node peers in one process (TCP + WebSockets on loopback).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { decode, encode as cborEncode } from 'cborg'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import { u8aEq } from '@polkadot/util'
import { verifyHotkeySignature } from '../../src/p2p/verify.ts'
import { createMesh, createRelay, encodeEnvelope, envelopeBody, GOSSIP_KINDS, topicFor, type Envelope, type Mesh } from '../../src/p2p/index.ts'

/** The transport carries whatever kinds it is told to gossip: here the query kind too. */
const TEST_KINDS = [...GOSSIP_KINDS, 'query'] as const
import type { GossipSub } from '@libp2p/gossipsub'

const NETUID = 3
const relay = await createRelay({ host: '127.0.0.1', port: 0 })
await relay.start()
const bootstrap = relay.multiaddrs.filter((a) => a.includes('/ws'))

const names = ['//Alice', '//Bob', '//Charlie', '//Dave']
const signers = await Promise.all(names.map((n) => hotkeyFromSecret(n)))
const meshes: Mesh[] = []
for (const signer of signers) {
  const mesh = await createMesh({ netuid: NETUID, signer, bootstrap, listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'], targetConnections: 3, gossipKinds: TEST_KINDS })
  await mesh.start()
  meshes.push(mesh)
}

after(async () => {
  await Promise.all(meshes.map((m) => m.stop()))
  await relay.stop()
})

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const pubsubOf = (m: Mesh) => (m.libp2p.services as { pubsub: GossipSub }).pubsub
const meshPeerCount = (m: Mesh) => pubsubOf(m).getSubscribers(topicFor(NETUID, 'query')).length

test('Node peers find each other through the relay and connect directly', async () => {
  await until('each peer to have 3 direct peers on the query topic', () => meshes.every((m) => meshPeerCount(m) >= 3))
  for (const m of meshes) {
    const s = m.stats()
    assert.ok(s.peers >= 4, `peers ${s.peers}`) // relay + 3
    assert.ok((s.byTransport.tcp ?? 0) + (s.byTransport.websockets ?? 0) >= 4)
  }
  // The relay carries discovery only, never the application topics.
  assert.equal(relay.metrics().discoverySubscribers, meshes.length)
})

test('every signed message reaches every other peer, once, and not its sender', async () => {
  const got = meshes.map(() => [] as Envelope<'query'>[])
  let reverified = 0
  const unsubs = meshes.map((m, i) =>
    m.subscribe('query', (e, signed) => {
      got[i].push(e)
      // Handlers get the bytes the author signed: anyone can check them again later.
      if (u8aEq(envelopeBody(e), signed.body) && verifyHotkeySignature(signed.body, signed.signature, e.hotkey)) reverified++
    }),
  )
  // Gossipsub needs a heartbeat to graft the mesh after subscriptions are exchanged.
  await new Promise((r) => setTimeout(r, 1500))
  for (const [i, m] of meshes.entries()) {
    for (let j = 0; j < 5; j++) await m.publish('query', { id: `q-${i}-${j}`, miner: 'any', task: 'test', input: { prompt: `hello from ${i}` } })
  }
  await until('all deliveries', () => got.every((g) => g.length >= 15))
  await new Promise((r) => setTimeout(r, 300))
  for (const [i, g] of got.entries()) {
    assert.equal(g.length, 15, `peer ${i} got ${g.length}`)
    assert.ok(g.every((e) => e.hotkey !== signers[i].address), 'own messages are not delivered to self')
    assert.equal(new Set(g.map((e) => e.payload.id)).size, 15)
    for (const e of g) {
      const sender = signers.findIndex((s) => s.address === e.hotkey)
      assert.equal(e.peerId, meshes[sender].peerId)
      assert.equal(e.payload.input.prompt, `hello from ${sender}`)
    }
  }
  assert.ok(meshes.every((m) => m.stats().published === 5 && m.stats().received === 15))
  assert.equal(reverified, 60, 'every delivery carried its signed bytes')
  unsubs.forEach((u) => u())
})

test('forged, re-attributed and replayed messages are rejected before handlers see them', async () => {
  const [a, b, c] = meshes
  const seen: Envelope<'query'>[] = []
  const unsub = b.subscribe('query', (e) => seen.push(e))
  const before = { ...b.stats().rejected }
  const topic = topicFor(NETUID, 'query')
  const now = Date.now()

  // 1. Forgery: A claims Charlie's hotkey and signs with its own key.
  const forgedEnv: Envelope<'query'> = { netuid: NETUID, kind: 'query', hotkey: signers[2].address, peerId: a.peerId, seq: 1, timestamp: now, payload: { id: 'forged', miner: 'any', task: 'test', input: { prompt: 'x' } } }
  await pubsubOf(a).publish(topic, cborEncode([envelopeBody(forgedEnv), signers[0].sign(envelopeBody(forgedEnv))]))

  // 2. Re-attribution: A takes a message validly signed by C's hotkey for C's peer id and
  //    rewrites the peer id to its own; the hotkey's signature covers the peer id.
  const cEnv: Envelope<'query'> = { ...forgedEnv, hotkey: signers[2].address, peerId: c.peerId, seq: 2, payload: { id: 'stolen', miner: 'any', task: 'test', input: { prompt: 'x' } } }
  const [, cSignature] = decode(encodeEnvelope(cEnv, signers[2])) as [Uint8Array, Uint8Array]
  await pubsubOf(a).publish(topic, cborEncode([envelopeBody({ ...cEnv, peerId: a.peerId }), cSignature]))

  // 3. Replay: a copy of the same bytes is the same gossip message (ids are content hashes), so
  //    gossipsub drops it; the same (hotkey, seq) in new bytes reaches the guard and is refused.
  const aEnv: Envelope<'query'> = { ...forgedEnv, hotkey: signers[0].address, peerId: a.peerId, seq: 3, payload: { id: 'once', miner: 'any', task: 'test', input: { prompt: 'x' } } }
  const bytes = encodeEnvelope(aEnv, signers[0])
  await pubsubOf(a).publish(topic, bytes)
  await assert.rejects(pubsubOf(a).publish(topic, bytes), /Duplicate/)
  await new Promise((r) => setTimeout(r, 200))
  await pubsubOf(a).publish(topic, encodeEnvelope({ ...aEnv, payload: { ...aEnv.payload, id: 'twice' } }, signers[0]))

  const delta = (reason: string) => (b.stats().rejected[reason] ?? 0) - (before[reason] ?? 0)
  await until('B to count the refusals', () => delta('bad_signature') >= 2 && delta('replay') >= 1)
  assert.deepEqual(seen.map((e) => e.payload.id), ['once'])
  unsub()
})

test('direct request/response between peers, with a timeout', async () => {
  const [a, b] = meshes
  const unhandle = await b.handle('echo', (req, from) => {
    assert.equal(from, a.peerId)
    return new Uint8Array([...req].reverse())
  })
  const answer = await a.request(b.peerId, 'echo', new Uint8Array([1, 2, 3]))
  assert.deepEqual([...answer], [3, 2, 1])
  const big = new Uint8Array(200 * 1024).map((_, i) => i % 251)
  const bigAnswer = await a.request(b.peerId, 'echo', big)
  assert.equal(bigAnswer.byteLength, big.byteLength)
  assert.equal(bigAnswer[0], big[big.length - 1])

  const unhandleSlow = await b.handle('slow', () => new Promise<Uint8Array>(() => {})) // never answers
  await assert.rejects(a.request(b.peerId, 'slow', new Uint8Array([1]), { timeoutMs: 500 }), (err: Error & { code?: string }) => err.code === 'timeout')
  await assert.rejects(a.request(b.peerId, 'echo', big, { maxBytes: 1000 }), (err: Error & { code?: string }) => err.code === 'too_large')
  await assert.rejects(a.request(b.peerId, 'nobody-serves-this', new Uint8Array([1])), (err: Error & { code?: string }) => err.code === 'request_failed')
  await unhandle()
  await unhandleSlow()
})

test('a response many times the yamux window arrives whole (window updates at half the window)', async () => {
  const [a, b] = meshes
  const bulk = new Uint8Array(3.5 * 1024 * 1024).map((_, i) => (i * 7) % 253)
  const unhandle = await b.handle('bulk', () => bulk)
  const got = await a.request(b.peerId, 'bulk', new Uint8Array([0]), { timeoutMs: 30_000 })
  assert.equal(got.byteLength, bulk.byteLength)
  assert.ok(got.every((v, i) => v === bulk[i]), 'bytes differ')
  await unhandle()
})

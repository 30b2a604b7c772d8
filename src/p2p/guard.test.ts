import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encode as cborEncode } from 'cborg'
import { u8aEq } from '@polkadot/util'
import { hotkeyFromSecret } from '../identity/identity.ts'
import { decodeEnvelope, encodeEnvelope, envelopeBody, MAX_WIRE_BYTES, type Envelope, type MessageKind, type Payloads } from './envelope.ts'
import { InboundGuard } from './guard.ts'
import { verifyHotkeySignature } from './verify.ts'

const alice = await hotkeyFromSecret('//Alice')
const bob = await hotkeyFromSecret('//Bob')
const PEER = '12D3KooWAlicePeerIdForTestsOnly00000000000000000'
const NOW = 1_800_000_000_000

function envelope<K extends MessageKind>(kind: K, payload: Payloads[K], over: Partial<Envelope> = {}): Envelope<K> {
  return { netuid: 7, kind, hotkey: alice.address, peerId: PEER, seq: 1, timestamp: NOW, payload, ...over } as Envelope<K>
}

const query: Payloads['query'] = { id: 'q1', miner: bob.address, task: 'text-generation', input: { prompt: 'hello', maxNewTokens: 16 } }
const HASH = `0x${'ab'.repeat(32)}`
const chainHead = { genesis: HASH, session: 'run-1', head: 4, headHash: HASH }

test('a signed envelope round-trips through encode/decode and passes the guard', () => {
  const samples: Envelope[] = [
    envelope('announce', { role: 'miner', agent: 'webtensor/0.1', model: 'gpt2' }),
    envelope('query', { ...query, input: { prompt: 'hi', nested: [1, 2.5, 'x'] } }),
    envelope('response', { queryId: 'q1', validator: bob.address, answer: { tokenIds: [1, 2, 50256], logprobs: [-0.5, -1.25, -3.1] } }),
    envelope('weights', { epoch: 3, uids: [0, 1, 2], weights: [65535, 0, 12], versionKey: '18446744073709551615' }),
    envelope('metagraph', {
      block: 100,
      epoch: 1,
      tempo: 360,
      neurons: [{ uid: 0, hotkey: alice.address, stake: '1000000000', registeredAt: 5, validatorPermit: true, lastUpdate: 99 }],
      chain: chainHead,
      blockHash: HASH,
      difficulty: '10000000',
    }),
    envelope('epoch', { epoch: 1, block: 100, incentive: [1, 2], dividends: [3, 4], digest: 'ab'.repeat(32), chain: { genesis: HASH, session: 'run-1' }, logSeq: 3 }),
    envelope('register', { block: 99, nonce: '12345678901234567890', seal: HASH }),
    envelope('commit', { hash: HASH }),
    envelope('reveal', { uids: [2, 0], weights: [65535, 7], salt: [1, 2, 3, 4, 5, 6, 7, 8], versionKey: '0' }),
  ]
  const guard = new InboundGuard({ netuid: 7 })
  for (const [i, e] of samples.entries()) {
    const bytes = encodeEnvelope({ ...e, seq: i + 1 }, alice)
    const verdict = guard.check(bytes, e.kind, PEER, NOW)
    assert.ok(verdict.ok, `${e.kind}: ${verdict.ok ? '' : verdict.reason + ' ' + verdict.detail}`)
    assert.deepEqual(verdict.envelope, { ...e, seq: i + 1 })
    // The verdict carries the signed bytes, so they can be kept as evidence and checked again.
    assert.ok(u8aEq(verdict.body, envelopeBody(verdict.envelope)))
    assert.ok(verifyHotkeySignature(verdict.body, verdict.signature, alice.address))
  }
})

test('forgery: a body signed by another hotkey, or altered after signing, is rejected', () => {
  const guard = new InboundGuard({ netuid: 7 })
  const e = envelope('query', query)
  const forged = cborEncode([envelopeBody(e), bob.sign(envelopeBody(e))])
  const v1 = guard.check(forged, 'query', PEER, NOW)
  assert.equal(v1.ok, false)
  assert.equal(!v1.ok && v1.reason, 'bad_signature')
  assert.equal(!v1.ok && v1.action, 'reject')

  const altered = envelope('query', { ...query, input: { prompt: 'other' } }, { seq: 2 })
  const sigOfOriginal = alice.sign(envelopeBody(e))
  const v2 = guard.check(cborEncode([envelopeBody(altered), sigOfOriginal]), 'query', PEER, NOW)
  assert.equal(!v2.ok && v2.reason, 'bad_signature')
  assert.equal(guard.rejected.bad_signature, 2)
})

test('the peer id is bound by the hotkey signature: rewriting it breaks the envelope', () => {
  const guard = new InboundGuard({ netuid: 7 })
  const e = envelope('query', query)
  const signature = alice.sign(envelopeBody(e))
  const claimed = envelopeBody({ ...e, peerId: '12D3KooWSomeoneElse000000000000000000000000000' })
  const v = guard.check(cborEncode([claimed, signature]), 'query', PEER, NOW)
  assert.equal(!v.ok && v.reason, 'bad_signature')
  // Forwarded by any neighbour, the envelope still names (and was signed for) its author's peer.
  const forwarded = guard.check(encodeEnvelope(e, alice), 'query', '12D3KooWForwarder00000000000000000000000000000', NOW)
  assert.ok(forwarded.ok && forwarded.envelope.peerId === PEER)
})

test('replay of the same (hotkey, seq) is ignored; a new seq passes', () => {
  const guard = new InboundGuard({ netuid: 7 })
  const bytes = encodeEnvelope(envelope('query', query), alice)
  assert.ok(guard.check(bytes, 'query', PEER, NOW).ok)
  const again = guard.check(bytes, 'query', PEER, NOW + 10)
  assert.equal(!again.ok && again.reason, 'replay')
  assert.equal(!again.ok && again.action, 'ignore')
  assert.ok(guard.check(encodeEnvelope(envelope('query', query, { seq: 2 }), alice), 'query', PEER, NOW).ok)
})

test('clock window: stale and future envelopes are ignored', () => {
  const guard = new InboundGuard({ netuid: 7, clockWindowMs: 30_000 })
  const old = encodeEnvelope(envelope('query', query, { timestamp: NOW - 30_001 }), alice)
  const future = encodeEnvelope(envelope('query', query, { timestamp: NOW + 30_001, seq: 2 }), alice)
  assert.equal((guard.check(old, 'query', PEER, NOW) as { reason: string }).reason, 'clock_skew')
  assert.equal((guard.check(future, 'query', PEER, NOW) as { reason: string }).reason, 'clock_skew')
})

test('rate limits per neighbour (before the signature) and per hotkey', () => {
  const guard = new InboundGuard({ netuid: 7, peerRate: { perSecond: 1, burst: 3 }, hotkeyRate: { perSecond: 100, burst: 100 } })
  const results = [1, 2, 3, 4].map((seq) => guard.check(encodeEnvelope(envelope('query', query, { seq }), alice), 'query', PEER, NOW))
  assert.deepEqual(results.map((r) => r.ok), [true, true, true, false])
  assert.equal(guard.rejected.rate_limit_peer, 1)
  // a second later one token has refilled
  assert.ok(guard.check(encodeEnvelope(envelope('query', query, { seq: 5 }), alice), 'query', PEER, NOW + 1000).ok)
  // A flooding neighbour is refused before any sr25519 work: forgeries past its budget count as
  // rate-limited, not as bad signatures.
  const g = new InboundGuard({ netuid: 7, peerRate: { perSecond: 1, burst: 1 } })
  const forged = (seq: number) => cborEncode([envelopeBody(envelope('query', query, { seq })), new Uint8Array(64)])
  assert.deepEqual([1, 2, 3].map((seq) => g.check(forged(seq), 'query', 'flooder', NOW)).map((r) => (r.ok ? 'ok' : r.reason)), ['bad_signature', 'rate_limit_peer', 'rate_limit_peer'])
  // ...while another neighbour forwarding the same author is unaffected.
  assert.ok(g.check(encodeEnvelope(envelope('query', query, { seq: 9 }), alice), 'query', 'honest', NOW).ok)

  const g2 = new InboundGuard({ netuid: 7, hotkeyRate: { perSecond: 1, burst: 2 } })
  const r2 = [1, 2, 3].map((seq) => g2.check(encodeEnvelope(envelope('query', query, { seq, peerId: `${PEER}${seq}` }), alice), 'query', `${PEER}${seq}`, NOW))
  assert.deepEqual(r2.map((r) => (r.ok ? 'ok' : r.reason)), ['ok', 'ok', 'rate_limit_hotkey'])
})

test('wrong netuid, wrong topic, oversize, schema and non-canonical bytes are rejected with reasons', () => {
  const guard = new InboundGuard({ netuid: 7 })
  const reason = (bytes: Uint8Array, kind: MessageKind = 'query') => {
    const v = guard.check(bytes, kind, PEER, NOW)
    return v.ok ? 'ok' : v.reason
  }
  assert.equal(reason(encodeEnvelope(envelope('query', query, { netuid: 8 }), alice)), 'wrong_netuid')
  assert.equal(reason(encodeEnvelope(envelope('query', query), alice), 'weights'), 'wrong_kind')
  assert.equal(reason(new Uint8Array(41 * 1024)), 'oversize')
  assert.equal(reason(new Uint8Array([0xff, 0x00])), 'malformed')
  const badWeights = envelope('weights', { epoch: 1, uids: [0, 1], weights: [70000, 1], versionKey: '0' })
  assert.equal(reason(encodeEnvelope(badWeights, alice), 'weights'), 'schema')
  const dupUids = envelope('weights', { epoch: 1, uids: [1, 1], weights: [1, 1], versionKey: '0' })
  assert.equal(reason(encodeEnvelope(dupUids, alice), 'weights'), 'schema')
  const extra = { ...envelope('query', query), extra: 1 } as Envelope
  assert.equal(reason(cborEncode([cborEncode(extra), alice.sign(cborEncode(extra))])), 'schema')
  // Same fields, non-canonical key order (cborg's default sorter is length-first, not RFC 8949 bytewise).
  const e = envelope('query', query)
  const reordered = { payload: e.payload, timestamp: e.timestamp, seq: e.seq, peerId: e.peerId, hotkey: e.hotkey, kind: e.kind, netuid: e.netuid }
  const body = cborEncode(reordered, { mapSorter: () => 0 })
  assert.equal(reason(cborEncode([body, alice.sign(body)])), 'non_canonical')
  assert.equal(guard.check(new Uint8Array(0), 'query', PEER, NOW).ok, false)
})

test('decodeEnvelope rejects a short signature', () => {
  const e = envelope('query', query)
  const r = decodeEnvelope(cborEncode([envelopeBody(e), new Uint8Array(10)]), { netuid: 7, kind: 'query' })
  assert.equal(!r.ok && r.reason, 'malformed')
})

test('a flooding neighbour is refused before any decoding: size cap, then its bucket', () => {
  let decodes = 0
  const counting: typeof decodeEnvelope = (bytes, expected) => {
    decodes++
    return decodeEnvelope(bytes, expected)
  }
  const guard = new InboundGuard({ netuid: 7, peerRate: { perSecond: 1, burst: 2 }, decode: counting })
  const reason = (v: ReturnType<InboundGuard['check']>) => (v.ok ? 'ok' : `${v.reason}/${v.action}`)
  // Oversize for its kind: refused (and penalised) on its length alone, and it spends no tokens.
  const huge = new Uint8Array(MAX_WIRE_BYTES.query + 1).fill(0xff)
  for (let i = 0; i < 5; i++) assert.equal(reason(guard.check(huge, 'query', 'flooder', NOW)), 'oversize/reject')
  assert.equal(decodes, 0)
  // Within its budget, junk is decoded and refused as malformed (penalised)...
  const junk = new Uint8Array([0xff, 0x00, 0x13])
  assert.equal(reason(guard.check(junk, 'query', 'flooder', NOW)), 'malformed/reject')
  assert.equal(reason(guard.check(encodeEnvelope(envelope('query', query, { seq: 1 }), alice), 'query', 'flooder', NOW)), 'ok')
  assert.equal(decodes, 2)
  // ...past it, anything (junk or a well-signed envelope) is refused unread: no decode at all.
  for (let i = 0; i < 100; i++) assert.equal(reason(guard.check(i % 2 ? junk : encodeEnvelope(envelope('query', query, { seq: 10 + i }), alice), 'query', 'flooder', NOW)), 'rate_limit_peer/ignore')
  assert.equal(decodes, 2)
  assert.equal(guard.rejected.rate_limit_peer, 100)
  // The neighbour's flood does not touch another neighbour's budget.
  assert.equal(reason(guard.check(encodeEnvelope(envelope('query', query, { seq: 500 }), alice), 'query', 'honest', NOW)), 'ok')
  assert.equal(decodes, 3)
})

test('figures: refusing an over-rate half-megabyte metagraph costs nothing next to decoding it', () => {
  const neurons = Array.from({ length: 4096 }, (_, uid) => ({ uid, hotkey: alice.address, stake: String(10n ** 30n + BigInt(uid) * 7919n), registeredAt: uid, validatorPermit: uid % 2 === 0, lastUpdate: uid }))
  const bytes = encodeEnvelope(envelope('metagraph', { block: 1, epoch: 1, tempo: 360, neurons, chain: chainHead, blockHash: HASH, difficulty: '1' }), alice)
  assert.ok(bytes.byteLength > 550_000 && bytes.byteLength <= MAX_WIRE_BYTES.metagraph, `${bytes.byteLength} bytes`)
  const guard = new InboundGuard({ netuid: 7, peerRate: { perSecond: 0.001, burst: 1 } })
  let t = performance.now()
  const first = guard.check(bytes, 'metagraph', 'flooder', NOW)
  const fullMs = performance.now() - t
  assert.ok(first.ok, first.ok ? '' : first.reason)
  const n = 1000
  t = performance.now()
  for (let i = 0; i < n; i++) assert.equal((guard.check(bytes, 'metagraph', 'flooder', NOW) as { reason: string }).reason, 'rate_limit_peer')
  const refuseUs = ((performance.now() - t) / n) * 1000
  console.log(`metagraph envelope ${bytes.byteLength} bytes: full check ${fullMs.toFixed(1)} ms; over-rate refusal ${refuseUs.toFixed(2)} µs`)
})

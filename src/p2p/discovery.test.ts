import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decode, encode } from 'cborg'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Directory, encodeDirectory, MAX_RECORD_ADDRS, MAX_RECORD_BYTES, openRecord, parseDirectory, RECORD_MAX_AGE_MS, RECORD_MAX_AHEAD_MS, RecordGuard, sealRecord } from './discovery.ts'

const addr = (port: number, id: string) => `/ip4/10.0.0.1/tcp/${port}/p2p/${id}`

const key = await generateKeyPair('Ed25519')
const ID = peerIdFromPrivateKey(key).toString()
const other = await generateKeyPair('Ed25519')
const NOW = 1_800_000_000_000
const sign = (d: Uint8Array) => key.sign(d)

test('sealed records open only for their own peer, whole and fresh', async () => {
  const record = { id: ID, addrs: [addr(1, ID)], slots: 3, ts: NOW }
  assert.deepEqual(await openRecord(await sealRecord(record, sign), NOW + 1000), { ok: true, record })
  const noSlots = { id: ID, addrs: [], ts: NOW }
  assert.deepEqual(await openRecord(await sealRecord(noSlots, sign), NOW), { ok: true, record: noSlots })

  // Speaking for another peer: sealed with the wrong key, or the id changed after sealing.
  const otherId = peerIdFromPrivateKey(other).toString()
  assert.deepEqual(await openRecord(await sealRecord({ ...record, id: otherId }, sign), NOW), { ok: false, error: 'bad_signature' })
  const [, signature] = decode(await sealRecord(record, sign)) as [Uint8Array, Uint8Array]
  const rewritten = encode([encode({ id: ID, ts: NOW, addrs: [addr(9, 'evil')], slots: 3 }), signature])
  assert.deepEqual(await openRecord(rewritten, NOW), { ok: false, error: 'bad_signature' })
  // Replayed long after, or dated ahead.
  assert.deepEqual(await openRecord(await sealRecord(record, sign), NOW + RECORD_MAX_AGE_MS + 1), { ok: false, error: 'stale' })
  assert.deepEqual(await openRecord(await sealRecord({ ...record, ts: NOW + RECORD_MAX_AHEAD_MS + 1 }, sign), NOW), { ok: false, error: 'stale' })

  const malformed = async (body: unknown, sig: Uint8Array = new Uint8Array(64)) => (await openRecord(encode([encode(body), sig]), NOW)).ok === false
  for (const body of [
    { id: ID, ts: NOW, addrs: 'x' },
    { id: ID, ts: NOW, addrs: ['no-slash'] },
    { id: ID, ts: NOW, addrs: [addr(1, 'A')], slots: -1 },
    { id: ID, ts: NOW, addrs: [addr(1, 'A')], slots: 1.5 },
    { id: ID, ts: NOW, addrs: Array.from({ length: 33 }, (_, i) => addr(i, 'A')) },
    { id: ID, ts: NOW, addrs: ['/' + 'x'.repeat(600)] },
    { id: 'not-a-peer-id', ts: NOW, addrs: [] },
    { id: ID, ts: 'now', addrs: [] },
    { id: ID, addrs: [] },
  ]) {
    assert.deepEqual(await openRecord(encode([encode(body), new Uint8Array(64)]), NOW), { ok: false, error: 'malformed' }, JSON.stringify(body))
  }
  assert.ok(await malformed({ id: ID, ts: NOW, addrs: [] }, new Uint8Array(10)))
  for (const bytes of [encode([1, 2]), encode({ addrs: [] }), new Uint8Array([0xff, 0x00]), new Uint8Array(5000)]) {
    assert.deepEqual(await openRecord(bytes, NOW), { ok: false, error: 'malformed' })
  }
})

test('the directory keeps the newest record of a peer, whatever order records arrive in', () => {
  const d = new Directory(60_000)
  d.heard('A', { addrs: [addr(2, 'A')], ts: 20 }, 0)
  d.heard('A', { addrs: [addr(1, 'A')], ts: 10 }, 1) // an older record forwarded late
  assert.deepEqual(d.list('X', 2).map((e) => e.addrs[0]), [addr(2, 'A')])
})

test('the directory lists open peers before full ones, newest first, never the requester', () => {
  const d = new Directory(60_000)
  d.heard('A', { addrs: [addr(1, 'A')], slots: 2 }, 0)
  d.heard('B', { addrs: [addr(2, 'B')], slots: 0 }, 1)
  d.heard('C', { addrs: [addr(3, 'C')] }, 2)
  d.heard('A', { addrs: [addr(9, 'A')], slots: 1 }, 3) // a newer record replaces the old one
  assert.deepEqual(
    d.list('C', 10).map((e) => [e.id, e.addrs[0], e.slots]),
    [
      ['A', addr(9, 'A'), 1],
      ['B', addr(2, 'B'), 0],
    ],
  )
  assert.deepEqual(d.list('X', 10).map((e) => e.id), ['A', 'C', 'B'])
  assert.deepEqual(d.list('X', 10, 1).map((e) => e.id), ['A'])
  d.forget('A')
  assert.deepEqual(d.list('X', 10).map((e) => e.id), ['C', 'B'])
  // Records older than maxAge are dropped.
  assert.deepEqual(d.list('X', 60_003).map((e) => e.id), [])
  assert.equal(d.size, 0)
})

test('directory answers round-trip and any bytes parse to a list of valid entries (fuzz)', () => {
  const entries = [
    { id: 'A', addrs: [addr(1, 'A')], slots: 4 },
    { id: 'B', addrs: [addr(2, 'B')] },
  ]
  assert.deepEqual(parseDirectory(encodeDirectory(entries)), entries)
  // Bad entries are dropped one by one; a non-list answer gives none.
  assert.deepEqual(parseDirectory(encode([{ id: 'A', addrs: [addr(1, 'A')] }, { id: 7, addrs: [] }, { id: 'C', addrs: 'x' }])), [{ id: 'A', addrs: [addr(1, 'A')] }])
  assert.deepEqual(parseDirectory(encode({ id: 'A' })), [])
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      for (const e of parseDirectory(bytes)) {
        assert.equal(typeof e.id, 'string')
        assert.ok(Array.isArray(e.addrs) && e.addrs.every((a) => typeof a === 'string' && a.startsWith('/')))
      }
    }),
    { numRuns: 2000 },
  )
})

test('any bytes, and any mutation of a sealed record, open to a refusal, never a forged record (fuzz)', async () => {
  const sealed = await sealRecord({ id: ID, addrs: [addr(1, ID)], slots: 2, ts: NOW }, sign)
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 2048 }),
        fc.tuple(fc.nat(sealed.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
          // A copy: cborg encodes to a Node Buffer, whose slice() is a view (mutating it would edit `sealed`).
          const b = Uint8Array.from(sealed)
          b[i] ^= x
          return b
        }),
      ),
      async (bytes) => {
        const r = await openRecord(bytes, NOW)
        assert.equal(r.ok, false)
      },
    ),
    { numRuns: 500 },
  )
})

test('the record guard: size, then the neighbour, then form and date, then the owner, then the signature', async () => {
  const guard = new RecordGuard({ neighbourRate: { perSecond: 1, burst: 3 }, ownerRate: { perSecond: 1, burst: 2 } })
  const outcome = async (bytes: Uint8Array, from: string, now = NOW) => {
    const v = await guard.check(bytes, from, now)
    return v.ok ? 'ok' : `${v.reason}/${v.action}`
  }
  const sealed = (ts: number) => sealRecord({ id: ID, addrs: [addr(1, ID)], slots: 1, ts }, sign)
  // Oversize: refused (penalised) unread, and it spends nothing of the neighbour's budget.
  assert.equal(await outcome(new Uint8Array(MAX_RECORD_BYTES + 1), 'n1'), 'oversize/reject')
  // Within the neighbour's budget: junk is malformed (penalised), a good record passes.
  assert.equal(await outcome(new Uint8Array([0xff, 0x00]), 'n1'), 'malformed/reject')
  assert.equal(await outcome(await sealed(NOW), 'n1'), 'ok')
  assert.equal(await outcome(await sealed(NOW - RECORD_MAX_AGE_MS - 1), 'n1'), 'stale/ignore')
  // Past it, anything from that neighbour is refused unread (junk included), without penalty.
  assert.equal(await outcome(new Uint8Array([0xff, 0x00]), 'n1'), 'rate_limit_neighbour/ignore')
  assert.equal(await outcome(await sealed(NOW + 1), 'n1'), 'rate_limit_neighbour/ignore')
  // The owner's budget holds across neighbours: re-sealed copies of one peer's record are spam.
  assert.equal(await outcome(await sealed(NOW + 2), 'n2'), 'ok') // owner token 2 of 2
  assert.equal(await outcome(await sealed(NOW + 3), 'n3'), 'rate_limit_owner/ignore')
  assert.equal(await outcome(await sealed(NOW + 1003), 'n3', NOW + 1000), 'ok') // a second later: one token back
  // A forged record (sealed by another key) is penalised.
  const forged = await sealRecord({ id: peerIdFromPrivateKey(other).toString(), addrs: [], ts: NOW }, sign)
  assert.equal(await outcome(forged, 'n4'), 'bad_signature/reject')
  assert.deepEqual(guard.rejected, { oversize: 1, malformed: 1, stale: 1, rate_limit_neighbour: 2, rate_limit_owner: 1, bad_signature: 1 })
})

test('sealRecord keeps a record others accept: at most MAX_RECORD_ADDRS addresses, within MAX_RECORD_BYTES', async () => {
  const many = Array.from({ length: 50 }, (_, i) => addr(1000 + i, ID))
  const opened = await openRecord(await sealRecord({ id: ID, addrs: many, ts: NOW }, sign), NOW)
  assert.ok(opened.ok)
  assert.deepEqual(opened.record.addrs, many.slice(0, MAX_RECORD_ADDRS))
  // Long (relayed WebRTC) addresses: the last ones are dropped until the record fits.
  const long = Array.from({ length: 32 }, (_, i) => `/ip4/10.0.0.1/tcp/${i}/ws/p2p/${ID}/p2p-circuit/webrtc/p2p/${ID}/${'x'.repeat(60)}`)
  const bytes = await sealRecord({ id: ID, addrs: long, slots: 3, ts: NOW }, sign)
  assert.ok(bytes.byteLength <= MAX_RECORD_BYTES, `${bytes.byteLength}`)
  const trimmed = await openRecord(bytes, NOW)
  assert.ok(trimmed.ok && trimmed.record.addrs.length > 10 && trimmed.record.addrs.length < 32)
  assert.deepEqual(trimmed.ok && trimmed.record.addrs, long.slice(0, trimmed.ok ? trimmed.record.addrs.length : 0))
})

test('the directory is capped: a new peer evicts the least recently heard one', () => {
  const d = new Directory(60_000, 3)
  for (const [i, id] of ['A', 'B', 'C'].entries()) d.heard(id, { addrs: [addr(i, id)] }, i)
  d.heard('A', { addrs: [addr(9, 'A')] }, 3) // A heard again: now the most recent
  d.heard('D', { addrs: [addr(4, 'D')] }, 4) // evicts B, the least recently heard
  assert.equal(d.size, 3)
  assert.deepEqual(d.list('X', 5).map((e) => e.id).sort(), ['A', 'C', 'D'])
  for (let i = 0; i < 1000; i++) d.heard(`P${i}`, { addrs: [] }, 10 + i)
  assert.equal(d.size, 3)
})

test('a record whose body is CBOR null (or any non-map) is malformed, not a TypeError (found by the fuzzer)', async () => {
  for (const body of [null, 7, 'x', [1, 2]]) {
    assert.deepEqual(await openRecord(encode([encode(body), new Uint8Array(64)]), NOW), { ok: false, error: 'malformed' })
  }
})

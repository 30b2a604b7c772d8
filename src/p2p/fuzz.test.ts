// Property tests (fast-check) of the envelope decoder and the inbound guard: random bytes, mutated
// valid envelopes and random payloads never crash them, and every bad message is refused with a reason.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encode as cborEncode, rfc8949EncodeOptions } from 'cborg'
import { hotkeyFromSecret } from '../identity/identity.ts'
import { encodeEnvelope, envelopeBody, MESSAGE_KINDS, type Envelope, type MessageKind, type Payloads, type RejectReason } from './envelope.ts'
import { InboundGuard } from './guard.ts'

const alice = await hotkeyFromSecret('//Alice')
const PEER = '12D3KooWFuzzPeer000000000000000000000000000000000'
const NOW = 1_800_000_000_000
const REASONS: ReadonlySet<RejectReason> = new Set<RejectReason>([
  'oversize', 'malformed', 'non_canonical', 'schema', 'wrong_netuid', 'wrong_kind',
  'bad_signature', 'clock_skew', 'replay', 'rate_limit_peer', 'rate_limit_hotkey',
])
const RUNS = Number(process.env.FUZZ_RUNS ?? 300)
const kindArb = fc.constantFrom(...MESSAGE_KINDS)
const guard = () => new InboundGuard({ netuid: 1, peerRate: { perSecond: 1e9, burst: 1e9 }, hotkeyRate: { perSecond: 1e9, burst: 1e9 } })

const u16 = fc.integer({ min: 0, max: 0xffff })
const str = (max: number) => fc.string({ maxLength: max })
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String)
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}`)
const session = fc.record({ genesis: hash32, session: str(64).filter((s) => s.length > 0) })
const payloadArbs: { [K in MessageKind]: fc.Arbitrary<Payloads[K]> } = {
  announce: fc.record({ role: fc.constantFrom('miner' as const, 'validator' as const, 'owner' as const), agent: str(40), model: str(20), device: str(20) }, { requiredKeys: ['role', 'agent'] }),
  query: fc.record({ id: str(20).filter((s) => s.length > 0), miner: str(48).filter((s) => s.length > 0), task: str(20).filter((s) => s.length > 0), input: fc.dictionary(str(10).filter((k) => k !== '__proto__'), fc.oneof(str(50), fc.integer(), fc.array(fc.integer(), { maxLength: 8 }))) }),
  response: fc.record({
    queryId: str(20).filter((s) => s.length > 0),
    validator: str(48).filter((s) => s.length > 0),
    answer: fc.record({
      tokenIds: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }),
      text: str(200),
      logprobs: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 20 }),
    }),
  }),
  ask: fc.record({ id: str(20).filter((s) => s.length > 0), miner: str(48).filter((s) => s.length > 0), prompt: str(200).filter((s) => s.length > 0), maxNewTokens: fc.integer({ min: 1, max: 1024 }) }),
  answer: fc.record({ askId: str(20).filter((s) => s.length > 0), asker: str(48).filter((s) => s.length > 0), text: str(200), tokens: fc.integer({ min: 0, max: 1024 }) }),
  weights: fc.uniqueArray(u16, { maxLength: 30 }).chain((uids) => fc.record({ epoch: fc.nat(), uids: fc.constant(uids), weights: fc.array(u16, { minLength: uids.length, maxLength: uids.length }), versionKey: u64 })),
  metagraph: fc.record({
    block: fc.nat(),
    epoch: fc.nat(),
    tempo: fc.integer({ min: 1, max: 0xffff }),
    neurons: fc.uniqueArray(
      fc.record({ uid: u16, hotkey: str(48).filter((s) => s.length > 0), stake: fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String), registeredAt: fc.nat(), validatorPermit: fc.boolean(), lastUpdate: fc.nat() }),
      { maxLength: 5, selector: (n) => n.uid },
    ),
    chain: fc.record({ genesis: hash32, session: str(64).filter((s) => s.length > 0), head: fc.nat(), headHash: hash32 }),
    blockHash: hash32,
    difficulty: u64,
  }),
  epoch: fc.record(
    { epoch: fc.nat(), block: fc.nat(), incentive: fc.array(u16, { maxLength: 30 }), dividends: fc.array(u16, { maxLength: 30 }), digest: str(64).filter((s) => s.length > 0), inputDigest: str(64).filter((s) => s.length > 0), chain: session, logSeq: fc.nat() },
    { requiredKeys: ['epoch', 'block', 'incentive', 'dividends', 'digest', 'chain', 'logSeq'] },
  ),
  register: fc.record({ block: fc.nat(), nonce: u64, seal: hash32 }),
  commit: fc.record({ hash: hash32 }),
  reveal: fc.uniqueArray(u16, { maxLength: 30 }).chain((uids) =>
    fc.record({ uids: fc.constant(uids), weights: fc.array(u16, { minLength: uids.length, maxLength: uids.length }), salt: fc.array(u16, { maxLength: 32 }), versionKey: u64 }),
  ),
}
const validEnvelope = kindArb.chain((kind) =>
  (payloadArbs[kind] as fc.Arbitrary<Payloads[MessageKind]>).map(
    (payload): Envelope => ({ netuid: 1, kind, hotkey: alice.address, peerId: PEER, seq: 1, timestamp: NOW, payload }),
  ),
)

function refusedWithReason(v: ReturnType<InboundGuard['check']>): boolean {
  return !v.ok && REASONS.has(v.reason) && (v.action === 'reject' || v.action === 'ignore')
}

test('random bytes are refused with a reason, never a crash', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), kindArb, (bytes, kind) => refusedWithReason(guard().check(bytes, kind, PEER, NOW))),
    { numRuns: RUNS * 3 },
  )
})

test('random CBOR values (well-formed, wrong shape) are refused with a reason', () => {
  fc.assert(
    fc.property(fc.anything({ withBigInt: false, withMap: false, withSet: false, withDate: false, withTypedArray: true }), kindArb, (value, kind) => {
      let bytes: Uint8Array
      try {
        bytes = cborEncode(value)
      } catch {
        return true // not encodable (e.g. undefined): nothing to send
      }
      return refusedWithReason(guard().check(bytes, kind, PEER, NOW))
    }),
    { numRuns: RUNS },
  )
})

test('schema-valid envelopes of every kind are accepted and decode to what was signed', () => {
  fc.assert(
    fc.property(validEnvelope, (e) => {
      const v = guard().check(encodeEnvelope(e, alice), e.kind, PEER, NOW)
      if (!v.ok) return false
      assert.deepEqual(v.envelope, JSON.parse(JSON.stringify(e)))
      return true
    }),
    { numRuns: RUNS },
  )
})

test('a map key "__proto__" never reaches a decoded message: our encoder signs none, a hand-made one is refused (found by the fuzzer)', () => {
  // Such keys are left out of the valid envelopes above: a decoded object cannot hold them as data.
  for (const value of ['', { prompt: 'inherited' }]) {
    const input = Object.defineProperty({}, '__proto__', { value, enumerable: true, configurable: true, writable: true })
    const e: Envelope = { netuid: 1, kind: 'query', hotkey: alice.address, peerId: PEER, seq: 1, timestamp: NOW, payload: { id: 'q', miner: 'm', task: 't', input } }
    // Our encoder drops the key before signing, so what is accepted is exactly what was signed.
    const ours = guard().check(encodeEnvelope(e, alice), 'query', PEER, NOW)
    assert.ok(ours.ok)
    const decoded = (ours.envelope.payload as { input: object }).input
    assert.deepEqual(Object.keys(decoded), [])
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype)
    // A peer that signs a body with the key anyway (a CBOR map written by hand) is refused.
    const body = cborEncode({ ...e, payload: { ...e.payload, input: new Map([['__proto__', value]]) } }, rfc8949EncodeOptions)
    const v = guard().check(cborEncode([body, alice.sign(body)]), 'query', PEER, NOW)
    assert.ok(refusedWithReason(v), JSON.stringify(v))
  }
})

test('mutated valid envelopes (bit flips, truncation, extension) are refused, never crash', () => {
  fc.assert(
    fc.property(
      validEnvelope,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.constantFrom('flip', 'truncate', 'extend'),
      (e, edits, how) => {
        const original = encodeEnvelope(e, alice)
        let bytes = Uint8Array.from(original) // a copy (a Buffer's slice() is a view)
        if (how === 'flip') for (const [pos, x] of edits) bytes[pos % bytes.length] ^= x
        else if (how === 'truncate') bytes = bytes.slice(0, edits[0][0] % bytes.length)
        else bytes = new Uint8Array([...bytes, ...edits.map(([, x]) => x)])
        // Flips that cancel out (same byte, same mask) leave the valid envelope: not a mutation.
        fc.pre(bytes.length !== original.length || bytes.some((b, i) => b !== original[i]))
        return refusedWithReason(guard().check(bytes, e.kind, PEER, NOW))
      },
    ),
    { numRuns: RUNS },
  )
})

test('signed junk payloads are refused as schema errors, never crash', () => {
  fc.assert(
    fc.property(kindArb, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), (kind, payload) => {
      const e = { netuid: 1, kind, hotkey: alice.address, peerId: PEER, seq: 1, timestamp: NOW, payload } as unknown as Envelope
      let bytes: Uint8Array
      try {
        bytes = encodeEnvelope(e, alice)
      } catch {
        return true // e.g. -0 or values cborg will not encode
      }
      const v = guard().check(bytes, kind, PEER, NOW)
      // A random dictionary may happen to satisfy a schema (e.g. announce needs only role and agent);
      // anything refused must be refused as a schema error.
      return v.ok || (!v.ok && (v.reason === 'schema' || v.reason === 'non_canonical'))
    }),
    { numRuns: RUNS },
  )
})

test('an envelope body signed over different bytes never verifies', () => {
  fc.assert(
    fc.property(validEnvelope, validEnvelope, (a, b) => {
      fc.pre(JSON.stringify(a) !== JSON.stringify(b))
      const bytes = cborEncode([envelopeBody(b), alice.sign(envelopeBody(a))])
      const v = guard().check(bytes, b.kind, PEER, NOW)
      return !v.ok && v.reason === 'bad_signature'
    }),
    { numRuns: Math.ceil(RUNS / 3) },
  )
})

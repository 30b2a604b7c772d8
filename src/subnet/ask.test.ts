// The asker's choice of miners and the refusal a miner sends back instead of an answer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encode as cborEncode } from 'cborg'
import { hotkeyFromSecret } from '../identity/index.ts'
import { canonicalEncode, encodeEnvelope } from '../p2p/index.ts'
import { AskRefusalError, decodeAskRefusal, encodeAskRefusal, rankMiners } from './ask.ts'

test('rankMiners: reachable miners only, highest incentive first (ties by uid), the excluded left out, at most count', () => {
  const neurons = ['a', 'b', 'c', 'd', 'e'].map((hotkey, uid) => ({ uid, hotkey }))
  const peers = new Map([['a', 'pa'], ['b', 'pb'], ['c', 'pc'], ['e', 'pe']]) // d never announced
  const incentive = [0, 100, 65535, 100, 65535]
  const ranked = rankMiners(neurons, incentive, peers, 10, new Set(['e']))
  assert.deepEqual(ranked.map((m) => [m.uid, m.peerId]), [[2, 'pc'], [1, 'pb'], [0, 'pa']])
  assert.equal(ranked[0]!.incentive, 1)
  assert.deepEqual(rankMiners(neurons, incentive, peers, 2).map((m) => m.uid), [2, 4])
  assert.deepEqual(rankMiners(neurons, [], peers, 2).map((m) => m.uid), [0, 1], 'no epoch yet: by uid')
  assert.deepEqual(rankMiners(neurons, incentive, peers, -1), [])
})

test('a refusal round-trips; an answer envelope is not a refusal', async () => {
  const r = { refused: 'ask_rate_limit_hotkey', message: 'over 6 asks/min', retryAfterMs: 10_000 }
  assert.deepEqual(decodeAskRefusal(encodeAskRefusal(r)), r)
  assert.deepEqual(decodeAskRefusal(encodeAskRefusal({ refused: 'ask_busy', message: 'answering another ask' })), { refused: 'ask_busy', message: 'answering another ask' })
  // Out-of-range values are clamped and long texts cut when encoding, so a miner never sends what an asker refuses.
  const long = decodeAskRefusal(encodeAskRefusal({ refused: 'ask_busy', message: 'x'.repeat(5000), retryAfterMs: 1e12 }))!
  assert.equal(long.message.length, 300)
  assert.equal(long.retryAfterMs, 3_600_000)
  const key = await hotkeyFromSecret('//AskRefusal')
  const envelope = encodeEnvelope({ netuid: 1, kind: 'answer', hotkey: key.address, peerId: 'p', seq: 1, timestamp: 1, payload: { askId: 'a', asker: 'b', text: 't', tokens: 1 } }, key)
  assert.equal(decodeAskRefusal(envelope), null)
  assert.equal(decodeAskRefusal(new Uint8Array(0)), null)
})

/** CBOR of any value cborg can encode (an empty map otherwise). */
function encodeOrEmptyMap(v: unknown): Uint8Array {
  try {
    return cborEncode(v)
  } catch {
    return new Uint8Array([0xa0])
  }
}

test('a malformed refusal is a typed error, never a crash or a refusal', () => {
  const malformed = (bytes: Uint8Array) => assert.throws(() => decodeAskRefusal(bytes), (e: unknown) => e instanceof AskRefusalError && e.code === 'malformed')
  malformed(canonicalEncode({ refused: 'ask_busy', message: 'm', extra: 1 }))
  malformed(canonicalEncode({ refused: 'Ask Busy!', message: 'm' }))
  malformed(canonicalEncode({ refused: 'ask_busy', message: 'm', retryAfterMs: -1 }))
  malformed(canonicalEncode({ refused: 'ask_busy', message: 'm', retryAfterMs: 1.5 }))
  malformed(canonicalEncode({ refused: 'ask_busy' }))
  malformed(canonicalEncode({ refused: 'ask_busy', message: 'm'.repeat(301) }))
  malformed(cborEncode({ refused: 'ask_busy', message: 'x'.repeat(2000) }))
  malformed(new Uint8Array([0xa1, 0x61])) // a map cut short
  // Anything a hostile peer sends: null (not a refusal), a refusal that checks, or AskRefusalError.
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.anything().map(encodeOrEmptyMap)), (bytes) => {
      try {
        const r = decodeAskRefusal(bytes)
        if (r !== null) assert.match(r.refused, /^[a-z0-9_]{1,64}$/)
      } catch (e) {
        assert.ok(e instanceof AskRefusalError, String(e))
      }
    }),
    { numRuns: 2000 },
  )
})

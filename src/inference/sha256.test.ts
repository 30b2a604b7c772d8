import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Sha256, sha256HexJs } from './sha256.ts'
import { Prng } from './prng.ts'

test('the JS sha256 fallback matches node:crypto on edge lengths and random data', () => {
  const rng = new Prng(3)
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_003]) {
    const data = Uint8Array.from({ length: n }, () => rng.nextUint32() & 255)
    assert.equal(sha256HexJs(data), createHash('sha256').update(data).digest('hex'), `length ${n}`)
    // A view into a larger buffer hashes only its own bytes.
    const padded = new Uint8Array(n + 7)
    padded.set(data, 3)
    assert.equal(sha256HexJs(padded.subarray(3, 3 + n)), createHash('sha256').update(data).digest('hex'))
  }
})

test('the incremental Sha256 gives the one-shot digest however the input is split', () => {
  const rng = new Prng(5)
  const data = Uint8Array.from({ length: 5000 }, () => rng.nextUint32() & 255)
  const expected = createHash('sha256').update(data).digest('hex')
  for (const split of [1, 3, 63, 64, 65, 127, 1000, 4999]) {
    const h = new Sha256()
    for (let at = 0; at < data.length; at += split) h.update(data.subarray(at, at + split))
    assert.equal(h.bytes, data.length)
    assert.equal(h.hex(), expected, `chunks of ${split}`)
  }
  // Uneven chunks, including empty ones.
  const h = new Sha256()
  let at = 0
  while (at < data.length) {
    const n = rng.nextUint32() % 200
    h.update(data.subarray(at, at + n))
    at += n
  }
  assert.equal(h.hex(), expected)
  assert.throws(() => h.update(data), /after hex/)
})

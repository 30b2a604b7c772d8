import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { sha256HexJs } from './sha256.ts'
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

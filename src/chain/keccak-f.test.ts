import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { keccakP } from '@noble/hashes/sha3.js'
import { keccakF1600 } from './keccak-f.ts'

test('keccakF1600 permutes exactly as @noble/hashes keccakP', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 50, maxLength: 50 }), (words) => {
    const a = Uint32Array.from(words)
    const b = Uint32Array.from(words)
    keccakP(a)
    keccakF1600(b)
    assert.deepEqual(b, a)
  }), { numRuns: 300 })
})

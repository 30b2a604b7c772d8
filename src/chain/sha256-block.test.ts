import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { sha256 } from '@noble/hashes/sha2.js'
import { sha256OneBlock } from './sha256-block.ts'

test('sha256OneBlock hashes any message of up to 55 bytes as @noble/hashes sha256', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 55 }), (msg) => {
    const block = new Uint8Array(64)
    block.set(msg)
    block[msg.length] = 0x80
    new DataView(block.buffer).setUint32(60, msg.length * 8, false)
    const w = new Uint32Array(64)
    for (let i = 0; i < 16; i++) w[i] = new DataView(block.buffer).getUint32(4 * i, false)
    const out = new Uint32Array(8)
    sha256OneBlock(w, out)
    const digest = new Uint8Array(32)
    for (let i = 0; i < 8; i++) new DataView(digest.buffer).setUint32(4 * i, out[i], false)
    assert.deepEqual(digest, sha256(msg))
  }), { numRuns: 300 })
})

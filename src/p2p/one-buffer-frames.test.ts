import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode, encode } from 'it-length-prefixed'
import { bufferCount, installOneBufferFrames, joinBuffers } from './one-buffer-frames.ts'

test('a length-prefixed frame comes as one buffer holding the same bytes', () => {
  installOneBufferFrames()
  const body = new Uint8Array(300).map((_, i) => i & 0xff)
  const frame = encode.single(body)
  assert.equal(bufferCount(frame), 1, 'one buffer: one data-channel message over WebRTC')
  // 300 = varint 0xac 0x02, then the body.
  assert.deepEqual([...frame.subarray(0, 2)], [0xac, 0x02])
  assert.deepEqual(frame.subarray(2), body)
  const decoded = [...decode([frame.subarray()])]
  assert.deepEqual(decoded.map((d) => d.subarray()), [body])
  // A body that is itself a list of parts is joined too.
  const parts = encode.single(encode.single(new Uint8Array([7, 8])))
  assert.equal(bufferCount(parts), 1)
  assert.deepEqual([...parts.subarray()], [3, 2, 7, 8])
})

test('joinBuffers leaves a one-buffer list alone, and installing twice wraps once', () => {
  const one = encode.single(new Uint8Array([1]))
  const [before] = one
  assert.equal([...joinBuffers(one)][0], before)
  const wrapped = encode.single
  installOneBufferFrames()
  assert.equal(encode.single, wrapped)
})

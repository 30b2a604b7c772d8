import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { installQuietFrameDecoder, quietLengthDecoder } from './frame-decoder.ts'

/** A list of chunks, as the decoder buffers them. */
interface Chunks {
  byteLength: number
  subarray(): Uint8Array
}

// noise's own length decoder: two bytes, big-endian, RangeError when they are not there yet.
const u16 = (data: Chunks) => {
  if (data.byteLength < 2) throw new RangeError('Could not decode int16BE')
  const b = data.subarray()
  return (b[0] << 8) | b[1]
}
const frame = (body: number[]) => Uint8Array.from([body.length >> 8, body.length & 0xff, ...body])

test('frames split across and within chunks come out whole and in order, the empty case without new errors', () => {
  installQuietFrameDecoder()
  const decoder = new LengthPrefixedDecoder({ lengthDecoder: u16, encodingLength: () => 2 })
  const stream = Uint8Array.from([...frame([1, 2, 3]), ...frame([4]), ...frame([5, 6])])
  const out: number[][] = []
  // Chunk boundaries everywhere: inside a length prefix, inside a body, on a frame boundary.
  for (const [a, b] of [[0, 1], [1, 4], [4, 5], [5, 8], [8, stream.length]]) {
    for (const f of decoder.decode(stream.subarray(a, b))) out.push([...(f as Chunks).subarray()])
  }
  assert.deepEqual(out, [[1, 2, 3], [4], [5, 6]])

  let created = 0
  const counting = (data: Chunks) => {
    if (data.byteLength < 2) created++
    return u16(data)
  }
  const quiet = quietLengthDecoder(counting)
  assert.throws(() => quiet({ byteLength: 0, subarray: () => new Uint8Array(0) }), RangeError)
  assert.equal(created, 0, 'an empty buffer never reaches the library decoder')
  assert.throws(() => quiet({ byteLength: 1, subarray: () => new Uint8Array(1) }), RangeError)
  assert.equal(created, 1, 'a partial prefix still does')
})

test('installs once', () => {
  installQuietFrameDecoder()
  const proto = LengthPrefixedDecoder.prototype as unknown as { decode: unknown }
  const wrapped = proto.decode
  installQuietFrameDecoder()
  assert.equal(proto.decode, wrapped)
})

/**
 * Length-prefixed frames in one buffer. `it-length-prefixed` 11's `encode.single` returns the
 * varint length and the body as two buffers, and `@libp2p/webrtc` 6 sends each buffer of a frame
 * as its own data-channel message: every gossip message crossed WebRTC as two SCTP messages (a
 * 1–2 byte prefix, then the body), each with its own DTLS record, packet and IPC hop in the
 * browser. One buffer per frame halves that; the bytes on the wire are the same, and receivers
 * read a byte stream either way. Elsewhere (gossipsub over TCP, noise) it costs one small copy.
 */
import { encode } from 'it-length-prefixed'

/** The parts of `Uint8ArrayList` this uses (iterating it yields its buffers). */
interface ChunkList extends Iterable<Uint8Array> {
  byteLength: number
  subarray(): Uint8Array
  consume(bytes: number): void
  append(...bufs: Uint8Array[]): void
}

const ONE_BUFFER = Symbol('webtensor.oneBufferFrames')

/** Merges the buffers of `list` into one, in place; returns it. */
export function joinBuffers<L extends ChunkList>(list: L): L {
  if (bufferCount(list) > 1) {
    const whole = list.subarray()
    list.consume(list.byteLength)
    list.append(whole)
  }
  return list
}

/** How many buffers `list` holds (counting stops at 2). */
export function bufferCount(list: Iterable<Uint8Array>): number {
  let n = 0
  for (const _ of list) if (++n > 1) break
  return n
}

/** Makes `encode.single` return frames in one buffer; idempotent. */
export function installOneBufferFrames(): void {
  const single = encode.single as typeof encode.single & { [ONE_BUFFER]?: true }
  if (single[ONE_BUFFER] === true || typeof single !== 'function') return
  const joined = ((...args: Parameters<typeof encode.single>) => joinBuffers(single(...args) as unknown as ChunkList)) as unknown as typeof encode.single & {
    [ONE_BUFFER]?: true
  }
  joined[ONE_BUFFER] = true
  encode.single = joined
}

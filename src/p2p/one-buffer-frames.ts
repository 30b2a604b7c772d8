/**
 * Length-prefixed frames in one buffer. `it-length-prefixed` 11's `encode.single` returns the
 * varint length and the body as two buffers, and `@libp2p/webrtc` 6 sends each buffer of a frame
 * as its own data-channel message: every gossip message crossed WebRTC as two SCTP messages (a
 * 1–2 byte prefix, then the body), each with its own DTLS record, packet and IPC hop in the
 * browser. One buffer per frame halves that; the bytes on the wire are the same, and receivers
 * read a byte stream either way. Elsewhere (gossipsub over TCP, noise) it costs one small copy.
 * Process-wide and pinned to the versions it was written for: see `patch-target.ts`.
 */
import { encode } from 'it-length-prefixed'
import { RuntimePatchError, type PatchTarget } from './patch-target.ts'

/** The parts of `Uint8ArrayList` this uses (iterating it yields its buffers). */
interface ChunkList extends Iterable<Uint8Array> {
  byteLength: number
  subarray(): Uint8Array
  consume(bytes: number): void
  append(...bufs: Uint8Array[]): void
}

const ONE_BUFFER = Symbol('webtensor.oneBufferFrames')

/** The library's own `encode.single`, as loaded (the shape check looks at it, not at our wrapper). */
const original = encode.single as typeof encode.single | undefined

/** Null when `single` still returns a list of buffers for one frame, else what differs. */
export function singleShape(single: unknown): string | null {
  if (typeof single !== 'function') return 'no function encode.single'
  try {
    const list = (single as (b: Uint8Array) => unknown)(new Uint8Array([1, 2, 3])) as Partial<ChunkList> | null
    const shaped =
      list !== null && typeof list === 'object' && typeof list[Symbol.iterator] === 'function' && list.byteLength === 4 &&
      typeof list.subarray === 'function' && typeof list.consume === 'function' && typeof list.append === 'function'
    return shaped ? null : 'encode.single no longer returns a Uint8ArrayList'
  } catch (err) {
    return `encode.single threw on a 3-byte frame: ${String(err)}`
  }
}

/**
 * Read against `it-length-prefixed` 11.0.1 (`encode.single` returns a `Uint8ArrayList` of prefix
 * and body), for `@libp2p/webrtc` 6.0.33 (one data-channel message per buffer) and the frames of
 * `@libp2p/gossipsub` 17.1.1.
 */
export const ONE_BUFFER_FRAMES_TARGET: PatchTarget = {
  patch: 'one-buffer-frames',
  patched: 'it-length-prefixed',
  versions: { 'it-length-prefixed': '11.0.1', '@libp2p/webrtc': '6.0.33', '@libp2p/gossipsub': '17.1.1' },
  shape: () => singleShape(original),
}

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

/**
 * Makes `encode.single` return frames in one buffer; idempotent. Throws `RuntimePatchError` when
 * the function it wraps is not the one it was written for.
 */
export function installOneBufferFrames(): void {
  const single = encode.single as typeof encode.single & { [ONE_BUFFER]?: true }
  if (single[ONE_BUFFER] === true) return
  const missing = ONE_BUFFER_FRAMES_TARGET.shape()
  if (missing !== null) throw new RuntimePatchError(ONE_BUFFER_FRAMES_TARGET.patch, ONE_BUFFER_FRAMES_TARGET.patched, 'shape', missing)
  const joined = ((...args: Parameters<typeof encode.single>) => joinBuffers(single(...args) as unknown as ChunkList)) as unknown as typeof encode.single & {
    [ONE_BUFFER]?: true
  }
  joined[ONE_BUFFER] = true
  encode.single = joined
}

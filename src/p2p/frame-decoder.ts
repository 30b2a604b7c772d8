/**
 * Noise frame splitting without an exception per chunk. `@libp2p/noise` 17 cuts the byte stream
 * into frames with `LengthPrefixedDecoder` (`@libp2p/utils` 7), which reads lengths until its
 * length decoder throws a RangeError for lack of bytes: a new Error, stack trace and all, for
 * every chunk a connection receives (4% of a Node peer's CPU in `bench/p2p`). Nearly every chunk
 * ends exactly on a frame boundary, with nothing left; this answers that case with one
 * preallocated RangeError, which the decoder takes as "need more bytes" just the same. A partial
 * length prefix still goes through the library's own decoder.
 * Process-wide and pinned to the versions it was written for: see `patch-target.ts`.
 */
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { functionShape, RuntimePatchError, type PatchTarget } from './patch-target.ts'

/** Thrown for an empty buffer; preallocated, so throwing it builds no stack trace. */
const NOTHING_BUFFERED = new RangeError('no bytes buffered')
const QUIET = Symbol('webtensor.quietLengthDecoder')

interface DecoderState {
  lengthDecoder: (data: { byteLength: number }) => number
  [QUIET]?: true
}

let installed = false

const proto = LengthPrefixedDecoder.prototype as unknown as { decode?: (this: DecoderState, buf: unknown) => Generator<unknown> }
/** The library's own method, as loaded (the shape check looks at it, not at our wrapper). */
const original = proto.decode

/**
 * Read against `@libp2p/utils` 7.4.1 (`LengthPrefixedDecoder.decode` calls `this.lengthDecoder`
 * and takes a RangeError for "need more bytes") and `@libp2p/noise` 17.0.3, which frames with it.
 */
export const FRAME_DECODER_TARGET: PatchTarget = {
  patch: 'frame-decoder',
  patched: '@libp2p/utils',
  versions: { '@libp2p/utils': '7.4.1', '@libp2p/noise': '17.0.3' },
  shape: () => functionShape(original, 'LengthPrefixedDecoder.decode', ['lengthDecoder', 'RangeError']),
}

/** Wraps a length decoder so that an empty buffer costs no new Error. */
export function quietLengthDecoder<D extends { byteLength: number }>(decode: (data: D) => number): (data: D) => number {
  return (data) => {
    if (data.byteLength === 0) throw NOTHING_BUFFERED
    return decode(data)
  }
}

/**
 * Installs the quiet decoder on every `LengthPrefixedDecoder`; idempotent. Throws
 * `RuntimePatchError` when the method it wraps is not the one it was written for.
 */
export function installQuietFrameDecoder(): void {
  if (installed) return
  const missing = FRAME_DECODER_TARGET.shape()
  if (missing !== null) throw new RuntimePatchError(FRAME_DECODER_TARGET.patch, FRAME_DECODER_TARGET.patched, 'shape', missing)
  installed = true
  const decode = original!
  proto.decode = function (this: DecoderState, buf: unknown) {
    if (this[QUIET] !== true && typeof this.lengthDecoder === 'function') {
      this.lengthDecoder = quietLengthDecoder(this.lengthDecoder)
      this[QUIET] = true
    }
    return decode.call(this, buf)
  }
}

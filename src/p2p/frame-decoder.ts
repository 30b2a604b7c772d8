/**
 * Noise frame splitting without an exception per chunk. `@libp2p/noise` 17 cuts the byte stream
 * into frames with `LengthPrefixedDecoder` (`@libp2p/utils` 7), which reads lengths until its
 * length decoder throws a RangeError for lack of bytes: a new Error, stack trace and all, for
 * every chunk a connection receives (4% of a Node peer's CPU in `bench/p2p`). Nearly every chunk
 * ends exactly on a frame boundary, with nothing left; this answers that case with one
 * preallocated RangeError, which the decoder takes as "need more bytes" just the same. A partial
 * length prefix still goes through the library's own decoder.
 */
import { LengthPrefixedDecoder } from '@libp2p/utils'

/** Thrown for an empty buffer; preallocated, so throwing it builds no stack trace. */
const NOTHING_BUFFERED = new RangeError('no bytes buffered')
const QUIET = Symbol('webtensor.quietLengthDecoder')

interface DecoderState {
  lengthDecoder: (data: { byteLength: number }) => number
  [QUIET]?: true
}

let installed = false

/** Wraps a length decoder so that an empty buffer costs no new Error. */
export function quietLengthDecoder<D extends { byteLength: number }>(decode: (data: D) => number): (data: D) => number {
  return (data) => {
    if (data.byteLength === 0) throw NOTHING_BUFFERED
    return decode(data)
  }
}

/** Installs the quiet decoder on every `LengthPrefixedDecoder`; idempotent. */
export function installQuietFrameDecoder(): void {
  if (installed) return
  installed = true
  const proto = LengthPrefixedDecoder.prototype as unknown as { decode?: (this: DecoderState, buf: unknown) => Generator<unknown> }
  const original = proto.decode
  // A version without this method keeps its own behaviour.
  if (typeof original !== 'function') return
  proto.decode = function (this: DecoderState, buf: unknown) {
    if (this[QUIET] !== true && typeof this.lengthDecoder === 'function') {
      this.lengthDecoder = quietLengthDecoder(this.lengthDecoder)
      this[QUIET] = true
    }
    return original.call(this, buf)
  }
}

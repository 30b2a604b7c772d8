/**
 * Yamux flow control with hysteresis. `@libp2p/yamux` 8 answers every data frame it receives with
 * a window-update frame, so each gossip message costs a second frame back (another encryption
 * and socket write on each side): a sixth of a Node peer's CPU in `bench/p2p`. go-, rust- and
 * py-yamux send the update only once half of the receive window is used, which is what the
 * spec's flow control needs; this applies the same rule to established streams. Stream opening
 * (SYN/ACK) and pause/resume keep the library's own behaviour.
 * Process-wide and pinned to the version it was written for: see `patch-target.ts`.
 */
import { StreamState, YamuxStream } from '@libp2p/yamux/stream'
import { functionShape, RuntimePatchError, type PatchTarget } from './patch-target.ts'

interface WindowState {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
}

let installed = false

const proto = YamuxStream.prototype as unknown as { sendWindowUpdate?: (this: WindowState) => void }
/** The library's own method, as loaded (the shape check looks at it, not at our wrapper). */
const original = proto.sendWindowUpdate

/** Read against `@libp2p/yamux` 8.0.3: `sendWindowUpdate` sends a window update from `recvWindow` and `recvWindowCapacity`. */
export const YAMUX_WINDOW_TARGET: PatchTarget = {
  patch: 'yamux-window',
  patched: '@libp2p/yamux',
  versions: { '@libp2p/yamux': '8.0.3' },
  shape: () =>
    typeof StreamState.Established !== 'number' ? 'no StreamState.Established' : functionShape(original, 'YamuxStream.sendWindowUpdate', ['recvWindowCapacity', 'recvWindow']),
}

/** True when an update can wait: the stream is established and more than half its window is left. */
export function windowUpdateCanWait(s: WindowState): boolean {
  return s.state === StreamState.Established && s.recvWindowCapacity * 2 > s.recvWindow
}

/**
 * Installs the rule on `YamuxStream` once per realm; idempotent. Throws `RuntimePatchError` when
 * the method it wraps is not the one it was written for.
 */
export function installYamuxWindowHysteresis(): void {
  if (installed) return
  const missing = YAMUX_WINDOW_TARGET.shape()
  if (missing !== null) throw new RuntimePatchError(YAMUX_WINDOW_TARGET.patch, YAMUX_WINDOW_TARGET.patched, 'shape', missing)
  installed = true
  const wrapped = original!
  proto.sendWindowUpdate = function (this: WindowState) {
    if (windowUpdateCanWait(this)) return
    wrapped.call(this)
  }
}

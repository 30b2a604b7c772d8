/**
 * Yamux flow control with hysteresis. `@libp2p/yamux` 8 answers every data frame it receives with
 * a window-update frame, so each gossip message costs a second frame back (another encryption
 * and socket write on each side): a sixth of a Node peer's CPU in `bench/p2p`. go-, rust- and
 * py-yamux send the update only once half of the receive window is used, which is what the
 * spec's flow control needs; this applies the same rule to established streams. Stream opening
 * (SYN/ACK) and pause/resume keep the library's own behaviour.
 */
import { StreamState, YamuxStream } from '@libp2p/yamux/stream'

interface WindowState {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
}

let installed = false

/** True when an update can wait: the stream is established and more than half its window is left. */
export function windowUpdateCanWait(s: WindowState): boolean {
  return s.state === StreamState.Established && s.recvWindowCapacity * 2 > s.recvWindow
}

/** Installs the rule on `YamuxStream` once per realm; idempotent. */
export function installYamuxWindowHysteresis(): void {
  if (installed) return
  installed = true
  const proto = YamuxStream.prototype as unknown as { sendWindowUpdate?: (this: WindowState) => void }
  const original = proto.sendWindowUpdate
  // A yamux without this method (a future version) keeps its own behaviour.
  if (typeof original !== 'function') return
  proto.sendWindowUpdate = function (this: WindowState) {
    if (windowUpdateCanWait(this)) return
    original.call(this)
  }
}

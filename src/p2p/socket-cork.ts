/**
 * Coalesced socket writes for libp2p's TCP connections. `@libp2p/tcp` 11 calls `socket.write`
 * once per buffer of a frame, and noise hands it several (the length prefix, the ciphertext
 * parts, the tag); an uncorked Node socket makes one syscall per write. Corking the socket while
 * a connection flushes its send queue, and uncorking on the next tick (Node's own pattern for
 * HTTP), turns a frame — and any frames queued in the same tick — into one `writev`.
 * Connections without a Node socket (WebSockets, WebRTC, browsers) are untouched.
 */
import { AbstractMultiaddrConnection } from '@libp2p/utils'

/** The part of a Node `net.Socket` this needs. */
export interface Corkable {
  cork(): void
  uncork(): void
  destroyed?: boolean
}

interface WithSocket {
  socket?: unknown
}

let installed = false

function corkable(socket: unknown): socket is Corkable {
  return typeof socket === 'object' && socket !== null && typeof (socket as Corkable).cork === 'function' && typeof (socket as Corkable).uncork === 'function'
}

/**
 * Runs `flush` with `socket` corked and uncorks it on the next tick, so that every write made
 * before then leaves in one system call.
 * @example corkedFlush(socket, () => conn.flush())
 */
export function corkedFlush<T>(socket: Corkable, flush: () => T): T {
  socket.cork()
  try {
    return flush()
  } finally {
    process.nextTick(uncork, socket)
  }
}

function uncork(socket: Corkable): void {
  if (socket.destroyed !== true) socket.uncork()
}

/** Installs write coalescing on libp2p connections that wrap a Node socket; idempotent. */
export function installSocketCork(): void {
  if (installed) return
  installed = true
  if (typeof globalThis.process?.nextTick !== 'function') return
  const proto = AbstractMultiaddrConnection.prototype as unknown as { processSendQueue?: (this: WithSocket) => boolean }
  const original = proto.processSendQueue
  // A version without this method keeps its own behaviour.
  if (typeof original !== 'function') return
  proto.processSendQueue = function (this: WithSocket) {
    const socket = this.socket
    if (!corkable(socket)) return original.call(this)
    return corkedFlush(socket, () => original.call(this))
  }
}

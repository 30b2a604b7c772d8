/**
 * Coalesced socket writes for libp2p's TCP connections. `@libp2p/tcp` 11 calls `socket.write`
 * once per buffer of a frame, and noise hands it several (the length prefix, the ciphertext
 * parts, the tag); an uncorked Node socket makes one syscall per write. Corking the socket while
 * a connection flushes its send queue, and uncorking on the next tick (Node's own pattern for
 * HTTP), turns a frame — and any frames queued in the same tick — into one `writev`.
 * Connections without a Node socket (WebSockets, WebRTC, browsers) are untouched.
 * Process-wide and pinned to the versions it was written for: see `patch-target.ts`.
 */
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import { functionShape, RuntimePatchError, type PatchTarget } from './patch-target.ts'

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

const proto = AbstractMultiaddrConnection.prototype as unknown as { processSendQueue?: (this: WithSocket) => boolean }
/** The library's own method, as loaded (the shape check looks at it, not at our wrapper). */
const original = proto.processSendQueue

/**
 * Read against `@libp2p/utils` 7.4.1 (`processSendQueue` flushes a connection's send queue
 * through `sendData`) and `@libp2p/tcp` 11.0.28 (whose `sendData` writes to `this.socket`).
 */
export const SOCKET_CORK_TARGET: PatchTarget = {
  patch: 'socket-cork',
  patched: '@libp2p/utils',
  versions: { '@libp2p/utils': '7.4.1', '@libp2p/tcp': '11.0.28' },
  shape: () => functionShape(original, 'AbstractMultiaddrConnection.processSendQueue', ['sendData']),
}

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

/**
 * Installs write coalescing on libp2p connections that wrap a Node socket; idempotent; nothing
 * outside Node. Throws `RuntimePatchError` when the method it wraps is not the one it was
 * written for.
 */
export function installSocketCork(): void {
  if (installed) return
  if (typeof globalThis.process?.nextTick !== 'function') return
  const missing = SOCKET_CORK_TARGET.shape()
  if (missing !== null) throw new RuntimePatchError(SOCKET_CORK_TARGET.patch, SOCKET_CORK_TARGET.patched, 'shape', missing)
  installed = true
  const flushQueue = original!
  proto.processSendQueue = function (this: WithSocket) {
    const socket = this.socket
    if (!corkable(socket)) return flushQueue.call(this)
    return corkedFlush(socket, () => flushQueue.call(this))
  }
}

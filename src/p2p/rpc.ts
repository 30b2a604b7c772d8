/**
 * Direct request/response over a libp2p stream, for where gossip is wasteful (fetching a missed
 * message, a weight log). One stream per request: the client writes the request and half-closes,
 * the server answers and closes. Both sides bound size and time.
 */
import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { P2PError } from './errors.ts'

export interface RequestOptions {
  /** Give up after this long (ms). Default 10 s. */
  timeoutMs?: number
  /** Largest response accepted (bytes). Default 4 MiB. */
  maxBytes?: number
}

export type RequestHandler = (request: Uint8Array, from: string) => Uint8Array | Promise<Uint8Array>

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024
/** Largest request a server reads. */
const MAX_REQUEST_BYTES = 256 * 1024

/** Protocol id of request kind `name` on subnet `netuid`. */
export function requestProtocol(netuid: number, name: string): string {
  if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new P2PError(`request name must match [a-z0-9-]{1,32}: ${name}`, { code: 'bad_options' })
  return `/webtensor/${netuid}/req/${name}/1`
}

/** Reads a stream to its end (the remote closed its writable side), refusing more than `max` bytes. */
async function readAll(stream: Stream, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of stream) {
    const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
    total += bytes.byteLength
    if (total > max) {
      stream.abort(new P2PError('message too large', { code: 'too_large' }))
      throw new P2PError(`stream message exceeds ${max} bytes`, { code: 'too_large' })
    }
    chunks.push(bytes)
  }
  const out = new Uint8Array(total)
  let off = 0
  for (const c of chunks) {
    out.set(c, off)
    off += c.byteLength
  }
  return out
}

async function sendAll(stream: Stream, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  if (!stream.send(bytes)) await stream.onDrain({ signal })
  await stream.close({ signal })
}

/** Registers `handler` for request kind `name`; returns a function that unregisters it. */
export async function handleRequests(node: Libp2p, protocol: string, handler: RequestHandler, log?: (m: string) => void): Promise<() => Promise<void>> {
  await node.handle(
    protocol,
    async (stream, connection) => {
      const signal = AbortSignal.timeout(DEFAULT_TIMEOUT_MS)
      const onAbort = () => stream.abort(new P2PError('request handling timed out', { code: 'timeout' }))
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        const request = await readAll(stream, MAX_REQUEST_BYTES)
        const response = await handler(request, connection.remotePeer.toString())
        await sendAll(stream, response, signal)
      } catch (err) {
        log?.(`request on ${protocol} from ${connection.remotePeer.toString()} failed: ${String(err)}`)
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
    },
    { maxInboundStreams: 32 },
  )
  return () => node.unhandle(protocol)
}

/**
 * Sends `body` to `peerId` and resolves with its answer.
 * @example const bytes = await request(node, peerId, requestProtocol(1, 'weights-log'), query)
 */
export async function request(node: Libp2p, peerId: string, protocol: string, body: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const signal = AbortSignal.timeout(timeoutMs)
  let stream: Stream | undefined
  const onAbort = () => stream?.abort(new P2PError('request timed out', { code: 'timeout' }))
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    stream = await node.dialProtocol(peerIdFromString(peerId), protocol, { signal })
    await sendAll(stream, body, signal)
    return await readAll(stream, options.maxBytes ?? DEFAULT_MAX_BYTES)
  } catch (err) {
    if (err instanceof P2PError) throw err
    if (signal.aborted) throw new P2PError(`request to ${peerId} timed out after ${timeoutMs} ms`, { code: 'timeout', cause: err })
    // No stream opened, so nothing reached the peer's handler: callers may try again. A peer
    // that does not serve the protocol is reachable, and refuses (`request_failed`).
    if (stream === undefined && (err as Error).name !== 'UnsupportedProtocolError') {
      throw new P2PError(`could not reach ${peerId}: ${(err as Error).message}`, { code: 'dial_failed', cause: err })
    }
    throw new P2PError(`request to ${peerId} failed: ${(err as Error).message}`, { code: 'request_failed', cause: err })
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

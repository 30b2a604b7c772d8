/**
 * A TCP proxy on 127.0.0.1 in front of a server, to cut a client's connections and bring them
 * back (the same port) while the server itself keeps running.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'

export interface TcpProxy {
  port: number
  /** ws://127.0.0.1:PORT */
  url: string
  /** Holds back what the server sends, so that calls in flight get no answer. */
  freeze(): void
  /** Destroys every proxied connection and stops accepting new ones (connections are refused). */
  cut(): Promise<void>
  /** Accepts connections again on the same port. */
  restore(): Promise<void>
  /** Connections accepted so far. */
  accepted(): number
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let frozen = false
  let accepted = 0
  let server: Server | null = null
  let port = 0
  const listen = async (): Promise<void> => {
    const s = createServer((client) => {
      accepted++
      const upstream = createConnection(target)
      sockets.add(client).add(upstream)
      client.pipe(upstream)
      upstream.on('data', (d: Buffer) => {
        if (!frozen) client.write(d)
      })
      const end = (): void => {
        client.destroy()
        upstream.destroy()
        sockets.delete(client)
        sockets.delete(upstream)
      }
      client.on('close', end).on('error', end)
      upstream.on('close', end).on('error', end)
    })
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject)
      s.listen(port, '127.0.0.1', () => resolve())
    })
    port = (s.address() as { port: number }).port
    server = s
  }
  await listen()
  const stop = async (): Promise<void> => {
    const s = server
    server = null
    for (const sock of sockets) sock.destroy()
    sockets.clear()
    if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()))
  }
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    freeze: () => void (frozen = true),
    async cut() {
      await stop()
      frozen = false
    },
    restore: listen,
    accepted: () => accepted,
    close: stop,
  }
}

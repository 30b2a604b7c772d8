import { request } from 'node:http'
import { connect } from 'node:net'

export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/**
 * One HTTP/1.1 request with node:http, so that any path, method and header can be sent as is
 * (fetch normalises paths and forbids some headers). No keep-alive.
 */
export function httpRequest(base: string, path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(base), { path, method: init.method ?? 'GET', headers: init.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

export interface RawAnswer {
  /** The status of the first response line, or null when the server closed without answering. */
  status: number | null
  /** Everything the server sent. */
  text: string
}

/**
 * Writes `bytes` to a fresh TCP connection and collects what comes back until the server closes
 * the connection (or `timeoutMs`, after which the client closes it). With `closeAfterWrite` the
 * client hangs up right after writing (a half-sent request).
 */
export function rawRequest(base: string, bytes: Buffer | string, opts: { timeoutMs?: number; closeAfterWrite?: boolean } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) })
    const chunks: Buffer[] = []
    const done = (): void => {
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('latin1')
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(text)
      resolve({ status: m === null ? null : Number(m[1]), text })
    }
    const timer = setTimeout(done, opts.timeoutMs ?? 5000)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('close', done)
    socket.on('error', () => {})
    socket.on('connect', () => {
      socket.write(bytes)
      if (opts.closeAfterWrite === true) socket.destroy()
    })
  })
}

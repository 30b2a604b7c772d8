import { createServer as createTlsServer } from 'node:https'
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { createApiCache, type ApiRoute } from './api-cache.ts'
import { clientKey } from './client-address.ts'
import { createRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit.ts'
import { pageContentSecurityPolicy, setBaseHeaders, setCorsHeaders, setPageHeaders, setPreflightHeaders } from './security-headers.ts'
import { etagMatches, findStatic, sendStatic, type StaticMount } from './static-files.ts'

export type { StaticMount } from './static-files.ts'

/** How much a client may ask of the server, and for how long. */
export interface ServerLimits {
  /** Longest request target (URL) answered; longer gets 414. Beyond `maxHeaderBytes` it is 431. */
  maxUrlLength: number
  /** All request headers (and the request line) together; more gets 431. */
  maxHeaderBytes: number
  /** Time to receive a request's headers; a slower client gets 408 and is closed (slowloris). */
  headersTimeoutMs: number
  /** Time to receive a whole request. */
  requestTimeoutMs: number
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number
  /** A socket with no traffic in either direction for this long is closed. */
  idleTimeoutMs: number
  /** Open connections per client (IPv4 address or IPv6 /64); more are closed at once. */
  maxConnectionsPerClient: number
  /** Open connections in all. */
  maxConnections: number
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxUrlLength: 4096,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnectionsPerClient: 64,
  maxConnections: 4096,
}

export interface AppServerOptions {
  host: string
  port: number
  mounts: StaticMount[]
  /** JSON endpoints: path → producer of the body. Paths under `/api/` are rate-limited per client. */
  api: Record<string, ApiRoute>
  /** Paths other origins may read with CORS `*` (no credentials): exact, or a prefix ending in `/`. */
  crossOrigin?: string[]
  /** The CSP of HTML pages (default: `pageContentSecurityPolicy()`). */
  contentSecurityPolicy?: string
  /** Token bucket per client on `/api/*`; `false` turns it off. */
  rateLimit?: Partial<RateLimitOptions> | false
  limits?: Partial<ServerLimits>
  /** PEM certificate and key: serve https instead of http. */
  tls?: { cert: string; key: string }
}

export interface AppServer {
  readonly url: string
  start(): Promise<void>
  stop(): Promise<void>
}

const ALLOW = 'GET, HEAD, OPTIONS'

/**
 * The HTTP side of a webtensor node: the app's static files, the model files, onnxruntime-web's
 * wasm and small JSON endpoints. Every request is hostile until checked: a malformed or oversized
 * request gets a 4xx (or its socket closed), never an exception that ends the process.
 * Every response carries COOP/COEP so pages are cross-origin isolated (WASM threads need
 * SharedArrayBuffer), and CORP `cross-origin` so sites embedding the miner widget can load our files.
 */
export function createAppServer(options: AppServerOptions): AppServer {
  let server: Server | undefined
  let url = ''
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const mounts = [...options.mounts].sort((a, b) => b.prefix.length - a.prefix.length)
  const api = createApiCache(options.api)
  const limiter = options.rateLimit === false ? null : createRateLimiter({ ...DEFAULT_RATE_LIMIT, ...options.rateLimit })
  const csp = options.contentSecurityPolicy ?? pageContentSecurityPolicy()
  const crossOrigin = options.crossOrigin ?? []
  const isCrossOrigin = (path: string): boolean => crossOrigin.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p))

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setBaseHeaders(res)
    const target = req.url ?? ''
    if (target.length > limits.maxUrlLength) return plain(res, 414, 'URI too long')
    const method = req.method ?? ''
    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
      res.setHeader('Allow', ALLOW)
      return plain(res, 405, 'method not allowed')
    }
    // These methods carry no body here; one that comes anyway is refused, and the connection
    // closed, so its bytes are never read as the next request (request smuggling).
    if (req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0') {
      return plain(res, 400, `a ${method} request has no body`)
    }
    if (method === 'OPTIONS' && target === '*') {
      res.writeHead(204, { Allow: ALLOW }).end()
      return
    }
    const path = requestPath(target)
    if (path === null) return plain(res, 400, 'malformed URL')
    if (isCrossOrigin(path)) setCorsHeaders(res)
    if (method === 'OPTIONS') {
      if (isCrossOrigin(path)) setPreflightHeaders(res)
      res.writeHead(204, { Allow: ALLOW }).end()
      return
    }
    const isApi = path.startsWith('/api/')
    if (isApi && limiter !== null) {
      const verdict = limiter.take(clientKey(req.socket.remoteAddress))
      if (!verdict.ok) {
        res.setHeader('Retry-After', String(verdict.retryAfterS))
        return plain(res, 429, 'too many requests')
      }
    }
    const body = api.body(path)
    if (body !== undefined) {
      res.setHeader('ETag', body.etag)
      res.setHeader('Cache-Control', 'no-cache')
      if (etagMatches(req.headers['if-none-match'], body.etag)) {
        res.writeHead(304).end()
        return
      }
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.body.length })
      res.end(method === 'HEAD' ? undefined : body.body)
      return
    }
    const file = isApi ? null : await findStatic(mounts, path)
    if (file === null) return plain(res, 404, 'not found')
    if (file.contentType.startsWith('text/html')) setPageHeaders(res, csp)
    sendStatic(req, res, file)
  }

  return {
    get url() {
      return url
    },
    async start() {
      const serverOptions = {
          maxHeaderSize: limits.maxHeaderBytes,
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          // How often the timeouts above are checked (Node's default, 30 s, would let a slow
          // client hold its socket up to 40 s instead of 10).
          connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      }
      const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
        handle(req, res).catch(() => {
          if (!res.headersSent) plain(res, 500, 'internal error')
          else res.destroy()
        })
      }
      const s: Server = options.tls === undefined ? createServer(serverOptions, onRequest) : createTlsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, onRequest)
      s.maxConnections = limits.maxConnections
      s.maxHeadersCount = 100
      s.setTimeout(limits.idleTimeoutMs)
      s.on('connection', limitPerClient(limits.maxConnectionsPerClient))
      s.on('clientError', answerClientError)
      // CONNECT bypasses the request handler: without this, Node would just drop the socket.
      s.on('connect', (_req: IncomingMessage, socket: Duplex) => {
        socket.on('error', () => {})
        socket.end(`HTTP/1.1 405 Method Not Allowed\r\nAllow: ${ALLOW}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy())
      })
      server = s
      await new Promise<void>((ok, fail) => {
        s.once('error', fail)
        s.listen(options.port, options.host, () => {
          s.off('error', fail)
          ok()
        })
      })
      const addr = s.address() as AddressInfo
      url = `${options.tls === undefined ? 'http' : 'https'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/`
    },
    async stop() {
      const s = server
      if (s === undefined) return
      server = undefined
      s.closeAllConnections()
      await new Promise<void>((ok) => s.close(() => ok()))
    },
  }
}

/**
 * The decoded path of a request target, or null when it is not a path this server answers:
 * origin-form (`/a/b?q`) only — absolute-form is for proxies, and `//host/x` must not be read as
 * a URL with another host — percent-decodable, without NUL.
 */
export function requestPath(target: string): string | null {
  if (!target.startsWith('/')) return null
  const end = target.search(/[?#]/)
  try {
    const path = decodeURIComponent(end === -1 ? target : target.slice(0, end))
    return path.includes('\0') ? null : path
  } catch {
    return null
  }
}

function plain(res: ServerResponse, status: number, message: string): void {
  const body = `${message}\n`
  const closing = status === 400 || status === 405 || status === 414 || status === 500
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...(closing ? { Connection: 'close' } : {}),
  })
  res.end(body)
}

/** Closes connections beyond `max` per client key at once, before any byte is parsed. */
function limitPerClient(max: number): (socket: Socket) => void {
  const open = new Map<string, number>()
  return (socket) => {
    const key = clientKey(socket.remoteAddress)
    const n = (open.get(key) ?? 0) + 1
    open.set(key, n)
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1
      if (left <= 0) open.delete(key)
      else open.set(key, left)
    })
    if (n > max) socket.destroy()
  }
}

/** Node's private view of the response in flight on a socket (see its own clientError default). */
interface SocketWithResponse {
  _httpMessage?: { headersSent?: boolean } | null
}

/**
 * A request the parser refused (bad bytes, oversized headers, a timeout): answer with a bare
 * status when nothing was sent on the socket yet, then close it. Never throws.
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & SocketWithResponse)._httpMessage
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy()
    return
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const timer = setTimeout(() => socket.destroy(), 1000)
  timer.unref()
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => {
    clearTimeout(timer)
    socket.destroy()
  })
}

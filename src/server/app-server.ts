import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { createReadStream, statSync } from 'node:fs'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { AddressInfo } from 'node:net'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

/** A folder served under a URL prefix. */
export interface StaticMount {
  prefix: string
  dir: string
  /** Serve `index.html` for unknown paths without an extension (single-page app). */
  spa?: boolean
  /** Only file names matching this are served (e.g. onnxruntime's wasm and loaders). */
  allow?: RegExp
  cacheControl?: string
}

export interface AppServerOptions {
  host: string
  port: number
  mounts: StaticMount[]
  /** JSON endpoints: path → producer of the body. */
  api: Record<string, () => unknown>
  /** PEM certificate and key: serve https instead of http. */
  tls?: { cert: string; key: string }
}

export interface AppServer {
  readonly url: string
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * The HTTP side of a webtensor node: the app's static files, the model files, onnxruntime-web's
 * wasm and small JSON endpoints. Every response carries COOP/COEP so pages are cross-origin
 * isolated (WASM threads need SharedArrayBuffer), and CORP `cross-origin` so sites embedding the
 * miner widget can load our files.
 */
export function createAppServer(options: AppServerOptions): AppServer {
  let server: Server | undefined
  let url = ''
  const mounts = [...options.mounts].sort((a, b) => b.prefix.length - a.prefix.length)

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp')
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end()
      return
    }
    // A malformed URL (`/%`, a lone surrogate) is the client's error, never the process's.
    const path = decodePath(req.url ?? '/')
    if (path === null) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad request: malformed URL\n')
      return
    }
    const api = options.api[path]
    if (api !== undefined) {
      let body: string
      try {
        body = JSON.stringify(api(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
      } catch (err) {
        res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: String(err) }))
        return
      }
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
      res.end(req.method === 'HEAD' ? undefined : body)
      return
    }
    for (const m of mounts) {
      if (!path.startsWith(m.prefix)) continue
      const file = resolveInside(m.dir, path.slice(m.prefix.length))
      if (file === null) break
      if (m.allow !== undefined && !m.allow.test(file)) break
      if (isFile(file)) return sendFile(req, res, file, m.cacheControl)
      if (isFile(join(file, 'index.html'))) return sendFile(req, res, join(file, 'index.html'), 'no-cache')
      if (m.spa === true && extname(path) === '' && isFile(join(m.dir, 'index.html'))) {
        return sendFile(req, res, join(m.dir, 'index.html'), 'no-cache')
      }
      break
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n')
  }

  return {
    get url() {
      return url
    },
    async start() {
      server = options.tls === undefined ? createServer(handle) : createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handle)
      await new Promise<void>((ok, fail) => {
        server!.once('error', fail)
        server!.listen(options.port, options.host, () => ok())
      })
      const addr = server.address() as AddressInfo
      url = `${options.tls === undefined ? 'http' : 'https'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/`
    },
    async stop() {
      if (server === undefined) return
      server.closeAllConnections()
      await new Promise<void>((ok) => server!.close(() => ok()))
      server = undefined
    },
  }
}

/** The decoded path of a request target, or null when it cannot be decoded. */
function decodePath(target: string): string | null {
  try {
    const path = decodeURIComponent(new URL(target, 'http://x').pathname)
    return path.includes('\0') ? null : path
  } catch {
    return null
  }
}

/** Joins a URL path under `dir`, refusing anything that escapes it. */
function resolveInside(dir: string, rel: string): string | null {
  const root = resolve(dir)
  const file = resolve(root, normalize(`.${sep}${rel}`))
  return file === root || file.startsWith(root + sep) ? file : null
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, cacheControl = 'no-cache'): void {
  const size = statSync(file).size
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': cacheControl,
  })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  createReadStream(file).pipe(res)
}


/**
 * Node helpers for browser tests and benches: build the test page with Vite, and serve it with
 * the models folder at `/models/` and onnxruntime-web's files at `/ort/`, cross-origin isolated
 * (COOP/COEP) so WASM threads are available.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { dirname, extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseRange } from '../../server/byte-range.ts'

const here = dirname(fileURLToPath(import.meta.url))

/** Builds this folder's page (and the runner worker) into `outDir`. */
export async function buildTestPage(outDir: string): Promise<void> {
  const { build } = await import('vite')
  await build({
    configFile: false,
    root: here,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false, chunkSizeWarningLimit: 10_000 },
    worker: { format: 'es' },
  })
}

/** Where onnxruntime-web's `ort-wasm*` files are. */
export function ortDistDir(): string {
  // The package's exports hide package.json; its Node entry lives in dist/ next to the wasm files.
  const require = createRequire(import.meta.url)
  return dirname(require.resolve('onnxruntime-web'))
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
}

export interface TestServer {
  url: string
  /** Paths requested so far (tests count model downloads). */
  requests: string[]
  /** Each request's path and `Range` header (tests check resumed downloads). */
  log: { path: string; range?: string; status: number }[]
  /** Whether single `Range: bytes=` requests get 206 (default true); false answers 200 with the whole file. */
  ranges: boolean
  /** When set, model files are sent in chunks of `bytes` with `delayMs` between them (a slow link, so a test can cancel mid-file). */
  throttle: { bytes: number; delayMs: number } | null
  close(): Promise<void>
}

/**
 * Serves `pageDir` at `/`, `modelsDir` at `/models/`, onnxruntime-web at `/ort/`, and the models
 * again Hugging Face-style at `/hf/<owner>/<name>/resolve/main/<file>` (a stand-in remote host).
 */
export async function serveTestPage(pageDir: string, modelsDir: string, host: string): Promise<TestServer> {
  const mounts: [string, string][] = [
    ['/models/', resolve(modelsDir)],
    ['/ort/', ortDistDir()],
    ['/', resolve(pageDir)],
  ]
  const requests: string[] = []
  const state: Pick<TestServer, 'log' | 'ranges' | 'throttle'> = { log: [], ranges: true, throttle: null }
  const server: Server = createServer(async (req, res) => {
    const requested = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    requests.push(requested)
    const entry: TestServer['log'][number] = { path: requested, status: 0, ...(req.headers.range ? { range: req.headers.range } : {}) }
    state.log.push(entry)
    const hf = /^\/hf\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(requested)
    const path = hf ? `/models/${hf[1]}/${hf[2]}` : requested
    const headers: Record<string, string> = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    }
    const mount = mounts.find(([prefix]) => path.startsWith(prefix))
    // As the app server (`src/cli/stack.ts`) serves them: cacheable, so the browser keeps
    // onnxruntime's compiled wasm with the cache entry (benches clear the HTTP cache for cold loads).
    if (mount?.[0] === '/ort/') headers['Cache-Control'] = 'public, max-age=86400'
    res.on('finish', () => (entry.status = res.statusCode))
    if (!mount) return void res.writeHead(404, headers).end()
    let file = normalize(join(mount[1], path.slice(mount[0].length)))
    if (!file.startsWith(mount[1] + sep) && file !== mount[1]) return void res.writeHead(403, headers).end()
    let info = await stat(file).catch(() => null)
    if (info?.isDirectory()) {
      file = join(file, 'index.html')
      info = await stat(file).catch(() => null)
    }
    if (!info?.isFile()) return void res.writeHead(404, headers).end()
    const type = TYPES[extname(file)] ?? 'application/octet-stream'
    const range = state.ranges && mount[0] === '/models/' ? parseRange(req.headers.range, info.size) : null
    entry.status = range === 'unsatisfiable' ? 416 : range ? 206 : 200
    if (range === 'unsatisfiable') return void res.writeHead(416, { ...headers, 'Content-Range': `bytes */${info.size}` }).end()
    const { start, end } = range ?? { start: 0, end: info.size - 1 }
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'Content-Type': type,
      'Content-Length': end - start + 1,
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${info.size}` } : {}),
    })
    if (info.size === 0) return void res.end()
    const throttle = mount[0] === '/models/' ? state.throttle : null
    if (!throttle) return void createReadStream(file, { start, end }).pipe(res)
    const stream = createReadStream(file, { start, end, highWaterMark: throttle.bytes })
    try {
      for await (const chunk of stream) {
        if (res.destroyed) break
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r).once('close', r))
        await new Promise((r) => setTimeout(r, throttle.delayMs))
      }
      res.end()
    } catch {
      res.destroy()
    } finally {
      stream.destroy()
    }
  })
  await new Promise<void>((r) => server.listen(0, host, r))
  const { port } = server.address() as AddressInfo
  return Object.assign(state, {
    url: `http://${host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  })
}

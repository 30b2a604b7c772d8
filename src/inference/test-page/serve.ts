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
  const server: Server = createServer(async (req, res) => {
    const requested = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    requests.push(requested)
    const hf = /^\/hf\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(requested)
    const path = hf ? `/models/${hf[1]}/${hf[2]}` : requested
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    }
    const mount = mounts.find(([prefix]) => path.startsWith(prefix))
    if (!mount) return void res.writeHead(404, headers).end()
    let file = normalize(join(mount[1], path.slice(mount[0].length)))
    if (!file.startsWith(mount[1] + sep) && file !== mount[1]) return void res.writeHead(403, headers).end()
    let info = await stat(file).catch(() => null)
    if (info?.isDirectory()) {
      file = join(file, 'index.html')
      info = await stat(file).catch(() => null)
    }
    if (!info?.isFile()) return void res.writeHead(404, headers).end()
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': info.size })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((r) => server.listen(0, host, r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host}:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

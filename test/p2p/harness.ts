// Builds the p2p test page with Vite's JS API and serves it over node:http; shared by the browser
// tests and bench/p2p.
import { build } from 'vite'
import { createServer, type Server } from 'node:http'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { extname, join, normalize } from 'node:path'
import type { AddressInfo } from 'node:net'

const pageRoot = new URL('./page/', import.meta.url).pathname

/** Bundles test/p2p/page into a fresh temporary folder; returns the folder. */
export async function buildTestPage(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'webtensor-p2p-page-'))
  await build({
    configFile: false,
    root: pageRoot,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'esnext', minify: false, reportCompressedSize: false, chunkSizeWarningLimit: 10_000 },
  })
  return outDir
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' }

/** Serves `dir` on `host` (any free port). */
export async function serveDir(dir: string, host: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '')
    const file = join(dir, path === '/' ? 'index.html' : path)
    try {
      const body = await readFile(file)
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      res.end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host}:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Polls `cond` every 100 ms until it holds; throws after `timeoutMs` (a liveness bound, not a speed claim). */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

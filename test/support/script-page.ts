/**
 * A page built by Vite from one TypeScript entry (`main.ts`), served on the test host and opened in
 * Debian Chromium: for tests that drive a worker or a module of the app directly in a browser.
 */
import { createServer } from 'node:http'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { build } from 'vite'
import { launchChromium, TEST_HOST } from './browser.ts'

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }

export interface ScriptPage {
  page: Page
  /** Uncaught errors of the page so far. */
  errors: string[]
  close(): Promise<void>
}

/**
 * Builds `main` (TypeScript source; import modules by absolute path) into a page, serves it and
 * opens it; resolves once `window[ready]` exists.
 * @example const { page, close } = await openScriptPage('pow', src, 'powSolve')
 */
export async function openScriptPage(name: string, main: string, ready: string): Promise<ScriptPage> {
  const root = mkdtempSync(join(tmpdir(), `${name}-`))
  writeFileSync(join(root, 'index.html'), '<!doctype html><script type="module" src="./main.ts"></script>')
  writeFileSync(join(root, 'main.ts'), main)
  const dist = join(root, 'dist')
  await build({ configFile: false, root, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true, minify: false }, worker: { format: 'es' } })
  const server = createServer((req, res) => {
    const path = join(dist, new URL(req.url ?? '/', 'http://x').pathname)
    const file = path.endsWith('/') ? join(path, 'index.html') : path
    if (!existsSync(file)) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, TEST_HOST, resolve))
  const { port } = server.address() as AddressInfo
  const browser = await launchChromium({ webgpu: false })
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`http://${TEST_HOST}:${port}/`)
  await page.waitForFunction((key) => key in window, ready)
  return {
    page,
    errors,
    async close() {
      await browser.close()
      server.close()
    },
  }
}

// Prints Yuma epoch timings inside headless Chromium, in the comlink worker (createYumaWorker), as
// the page sees them (CSR rows + structured clone in, transferred typed arrays out). Figures only.
// Run: node --import tsx bench/yuma/browser-bench.ts
import { createServer } from 'node:http'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import { build } from 'vite'
import { launchChromium, TEST_HOST } from '../../test/support/browser.ts'
import { benchCases } from './bench.ts'

const CLIENT = fileURLToPath(new URL('../../src/scoring/yuma-worker.ts', import.meta.url))

async function buildPage(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'yuma-bench-'))
  writeFileSync(join(root, 'index.html'), '<!doctype html><script type="module" src="./main.ts"></script>')
  writeFileSync(join(root, 'main.ts'), `
import { createYumaWorker } from ${JSON.stringify(CLIENT)}
const yuma = createYumaWorker()
;(window as any).benchEpoch = async (input: unknown, mode: 'exact' | 'fast', runs: number) => {
  for (let i = 0; i < 2; i++) await yuma.runEpoch(input as never, { mode })
  const t: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await yuma.runEpoch(input as never, { mode })
    t.push(performance.now() - t0)
  }
  t.sort((a, b) => a - b)
  return { median: t[Math.floor(t.length / 2)], min: t[0] }
}
`)
  const outDir = join(root, 'dist')
  await build({ configFile: false, root, logLevel: 'warn', build: { outDir, emptyOutDir: true }, worker: { format: 'es' } })
  return outDir
}

const dist = await buildPage()
const server = createServer((req, res) => {
  const path = join(dist, new URL(req.url ?? '/', 'http://x').pathname)
  const file = path.endsWith('/') ? join(path, 'index.html') : path
  if (!existsSync(file)) { res.writeHead(404).end(); return }
  res.writeHead(200, { 'content-type': extname(file) === '.html' ? 'text/html' : 'text/javascript' }).end(readFileSync(file))
})
await new Promise<void>((resolve) => server.listen(0, TEST_HOST, resolve))
const browser = await launchChromium({ webgpu: false })
try {
  const page = await browser.newPage()
  await page.goto(`http://${TEST_HOST}:${(server.address() as AddressInfo).port}/`)
  await page.waitForFunction(() => 'benchEpoch' in window)
  console.log(`Chromium ${browser.version()}, Yuma worker; per epoch after warm-up: median ms / min ms`)
  type Bench = (i: unknown, m: string, r: number) => Promise<{ median: number; min: number }>
  for (const c of benchCases()) {
    const runs = c.input.n >= 4096 ? 7 : 21
    const row: string[] = []
    for (const mode of ['exact', 'fast']) {
      const t = await page.evaluate(([i, m, r]) => (window as unknown as { benchEpoch: Bench }).benchEpoch(i, m as string, r as number), [c.input, mode, runs] as const)
      row.push(`${mode} ${t.median.toFixed(1).padStart(7)} /${t.min.toFixed(1).padStart(7)}`)
    }
    console.log(`${c.name.padEnd(42)} ${row.join('   ')}`)
  }
} finally {
  await browser.close()
  server.close()
}

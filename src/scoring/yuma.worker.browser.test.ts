import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import { build } from 'vite'
import { launchChromium, TEST_HOST } from '../../test/support/browser.ts'
import { epochDigest, runEpoch, type EpochInput, type EpochOutput } from './index.ts'
import { syntheticEpochInput } from './yuma/synthetic.ts'

const CLIENT = fileURLToPath(new URL('./yuma-worker.ts', import.meta.url))
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' }

/** Builds a page whose `window.yumaInWorker(input)` runs an exact epoch in the Yuma worker. */
async function buildPage(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'yuma-worker-'))
  writeFileSync(join(root, 'index.html'), '<!doctype html><script type="module" src="./main.ts"></script>')
  writeFileSync(join(root, 'main.ts'), `
import { createYumaWorker } from ${JSON.stringify(CLIENT)}
;(window as any).yumaInWorker = async (input: unknown) => {
  const yuma = createYumaWorker()
  try {
    const output = await yuma.runEpoch(input as never, { mode: 'exact' })
    return { output, digest: await yuma.epochDigest(output) }
  } finally {
    yuma.terminate()
  }
}
`)
  const outDir = join(root, 'dist')
  await build({ configFile: false, root, logLevel: 'warn', build: { outDir, emptyOutDir: true, minify: false }, worker: { format: 'es' } })
  return outDir
}

test('the Yuma worker (comlink, Chromium) gives exactly Node\'s exact-mode output', { timeout: 180_000 }, async () => {
  const dist = await buildPage()
  const server = createServer((req, res) => {
    const path = join(dist, new URL(req.url ?? '/', 'http://x').pathname)
    const file = path.endsWith('/') ? join(path, 'index.html') : path
    if (!existsSync(file)) { res.writeHead(404).end(); return }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, TEST_HOST, resolve))
  const { port } = server.address() as AddressInfo
  const browser = await launchChromium({ webgpu: false })
  try {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`http://${TEST_HOST}:${port}/`)
    await page.waitForFunction(() => 'yumaInWorker' in window)
    const inputs: EpochInput[] = [
      syntheticEpochInput({ n: 64, validators: 16, weightsPerRow: 20, seed: 7, withBonds: true }),
      syntheticEpochInput({ n: 48, validators: 12, weightsPerRow: 48, seed: 8, withBonds: true, ownerUid: 3, hyperparams: { yuma3: true, liquid_alpha: true, bonds_penalty: 30000 } }),
      syntheticEpochInput({ n: 32, validators: 8, weightsPerRow: 10, seed: 9, hyperparams: { yuma3: true, alpha_sigmoid_steepness: 32767, liquid_alpha: true } }),
    ]
    for (const input of inputs) {
      const fromWorker = await page.evaluate((i) => (window as unknown as { yumaInWorker(i: unknown): Promise<{ output: EpochOutput; digest: string }> }).yumaInWorker(i), input)
      const inNode = runEpoch(input)
      assert.deepEqual(fromWorker.output, inNode)
      assert.equal(fromWorker.digest, epochDigest(inNode))
    }
    assert.deepEqual(errors, [])
  } finally {
    await browser.close()
    server.close()
  }
})

/**
 * A/B of browser WASM settings on one model, interleaved so machine load hits both alike:
 * `node --import tsx bench/inference/ab.ts [modelId] [rounds]`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, TEST_HOST } from '../../test/support/browser.ts'
import { buildTestPage, serveTestPage } from '../../src/inference/test-page/serve.ts'
import { ensureTestModels, loadModel } from '../../src/inference/index.ts'
import { measureCausal } from '../../src/inference/test-page/measure.ts'

const repo = resolve(fileURLToPath(import.meta.url), '../../..')
const modelsDir = join(repo, 'models')
const modelId = process.argv[2] ?? 'webtensor/tiny-gpt2'
const rounds = Number(process.argv[3] ?? 3)
const variants: { name: string; wasmFlavor: 'asyncify' | 'plain'; numThreads: number }[] = [
  { name: 'asyncify-1t', wasmFlavor: 'asyncify', numThreads: 1 },
  { name: 'plain-1t', wasmFlavor: 'plain', numThreads: 1 },
  { name: 'plain-2t', wasmFlavor: 'plain', numThreads: 2 },
]
const plan = { promptWords: 16, newTokens: 48, repeats: Number(process.argv[4] ?? 5) }

await ensureTestModels(modelsDir)
const root = await mkdtemp(join(tmpdir(), 'wt-ab-'))
await buildTestPage(join(root, 'page'))
const server = await serveTestPage(join(root, 'page'), modelsDir, TEST_HOST)
const browser = await launchChromium({ extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`] })
const page = await browser.newPage()
await page.addInitScript({ content: 'globalThis.__name = (f) => f' })
page.on('console', (m) => console.log('[page]', m.text()))
await page.goto(`${server.url}/`)
await page.waitForFunction(() => window.webtensorReady === true)
const results: Record<string, number[]> = { node: [] }
for (let r = 0; r < rounds; r++) {
  const n = await measureCausal(() => loadModel({ modelId, localModelPath: modelsDir }), plan)
  results.node.push(n.bestTokensPerSec)
  for (const v of variants) {
    const f = await page.evaluate(
      ({ modelId, v, plan }) =>
        window.webtensorMeasure.measureCausal(
          () => window.webtensorInference.loadModelInWorker({ modelId, device: 'wasm', localModelPath: '/models/', wasmPaths: '/ort/', cache: true, wasmFlavor: v.wasmFlavor, numThreads: v.numThreads }),
          plan,
        ),
      { modelId, v, plan },
    )
    ;(results[v.name] ??= []).push(f.bestTokensPerSec)
  }
  console.log(`round ${r}:`, Object.fromEntries(Object.entries(results).map(([k, xs]) => [k, Math.round(xs.at(-1)! * 10) / 10])))
}
console.log(JSON.stringify({ modelId, best_tokens_per_s: results, max: Object.fromEntries(Object.entries(results).map(([k, xs]) => [k, Math.round(Math.max(...xs) * 10) / 10])) }))
await browser.close()
await server.close()
await rm(root, { recursive: true, force: true })

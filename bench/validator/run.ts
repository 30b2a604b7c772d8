/**
 * Validator bench (`npm run bench:validator [-- --quick]`): how much cheaper a validator's check
 * is than a miner's work — answers verified per second (one teacher-forced pass replaying the
 * seeded sampler) against answers generated per second (32 sampled tokens), in Node
 * (onnxruntime-node) and in a Chromium worker (WASM), for the tiny and the distilgpt2-sized GPT-2.
 * Node and browser runs alternate on this shared machine; the ratio is measured within one run on
 * one runner, so it does not depend on the machine's speed that day. The last line is JSON.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, TEST_HOST } from '../../test/support/browser.ts'
import { ensureTestModels, loadModel, makeTestModel } from '../../src/inference/index.ts'
import { measureVerify, type VerifyFigures } from '../../src/inference/test-page/measure.ts'
import { buildTestPage, serveTestPage } from '../../src/inference/test-page/serve.ts'

const repo = resolve(fileURLToPath(import.meta.url), '../../..')
const modelsDir = join(repo, 'models')
const quick = process.argv.includes('--quick')
const NEW_TOKENS = 32
const models = [
  { id: 'webtensor/tiny-gpt2', repeats: 9 },
  ...(quick ? [] : [{ id: 'webtensor/gpt2-distil-size', repeats: 5 }]),
]
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d
const fmt = (f: VerifyFigures) =>
  `generated ${round(f.generatedPerSec)}/s, verified ${round(f.verifiedPerSec)}/s, ×${round(f.ratio, 1)}; ${f.firstPicks}/${f.tokens} tokens the replay's first pick${f.allVerified ? '' : ' (NOT ALL VERIFIED)'}`

await ensureTestModels(modelsDir)
if (!quick) {
  const dir = join(modelsDir, 'webtensor', 'gpt2-distil-size')
  if (!(await stat(join(dir, 'onnx', 'model.onnx')).catch(() => null))) await makeTestModel('gpt2-distil-size', dir)
}
const root = await mkdtemp(join(tmpdir(), 'wt-bench-validator-'))
await buildTestPage(join(root, 'page'))
const server = await serveTestPage(join(root, 'page'), modelsDir, TEST_HOST)
const browser = await launchChromium({ extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`] })
const loadAtStart = loadavg()[0]
try {
  const page = await browser.newPage()
  await page.addInitScript({ content: 'globalThis.__name = (f) => f' }) // tsx keepNames helper
  await page.goto(`${server.url}/`)
  await page.waitForFunction(() => window.webtensorReady === true)
  const results: Record<string, { node: VerifyFigures; wasm: VerifyFigures }> = {}
  for (const m of models) {
    const plan = { promptWords: 16, newTokens: NEW_TOKENS, repeats: m.repeats }
    const runner = await loadModel({ modelId: m.id, localModelPath: modelsDir })
    const node = await measureVerify(runner, plan).finally(() => runner.dispose())
    console.log(`node ${m.id}: ${fmt(node)}`)
    const wasm = await page.evaluate(
      async ({ id, plan }) => {
        const r = await window.webtensorInference.loadModelInWorker({ modelId: id, device: 'wasm', numThreads: 1, localModelPath: '/models/', wasmPaths: '/ort/' })
        try {
          return await window.webtensorMeasure.measureVerify(r, plan)
        } finally {
          await r.dispose()
        }
      },
      { id: m.id, plan },
    )
    console.log(`wasm ${m.id}: ${fmt(wasm)}`)
    results[m.id] = { node, wasm }
  }
  const json = Object.fromEntries(
    Object.entries(results).map(([id, r]) => [
      id,
      Object.fromEntries(
        (['node', 'wasm'] as const).map((k) => [k, { generated_per_s: round(r[k].generatedPerSec), verified_per_s: round(r[k].verifiedPerSec), verify_cheaper_x: round(r[k].ratio, 1), all_verified: r[k].allVerified, first_picks: r[k].firstPicks, tokens: r[k].tokens }]),
      ),
    ]),
  )
  console.log(JSON.stringify({ bench: 'validator', new_tokens: NEW_TOKENS, cores: cpus().length, load_average_1m: { start: round(loadAtStart), end: round(loadavg()[0]) }, results: json }))
} finally {
  await browser.close()
  await server.close()
  await rm(root, { recursive: true, force: true })
}

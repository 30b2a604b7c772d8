/**
 * Tokens/s per weight format (`npm run bench:inference -- --dtype fp16,q4,q4f16 [--model ID]
 * [--rounds N] [--threads 1,2] [--no-webgpu]`): the tiny GPT-2 (or `--model`) in each dtype, Node
 * (onnxruntime-node, default threads) against a Chromium WASM worker (1 thread, or each of
 * `--threads`), rounds interleaved so the shared machine's
 * load hits both alike; each side reports the median over rounds of each round's median
 * generate. Then one short WebGPU (SwiftShader) load per dtype: whether it runs, and whether its
 * greedy tokens are Node's — its speed means nothing. The last line is one JSON object.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, TEST_HOST } from '../../test/support/browser.ts'
import { ensureTestModels, loadModel, MODEL_DTYPES, type ModelDtype } from '../../src/inference/index.ts'
import { measureCausal, type CausalFigures } from '../../src/inference/test-page/measure.ts'
import { buildTestPage, serveTestPage } from '../../src/inference/test-page/serve.ts'

const repo = resolve(fileURLToPath(import.meta.url), '../../..')
const modelsDir = join(repo, 'models')
const args = process.argv.slice(2)
const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined)
const dtypes = (value('--dtype') ?? 'fp32,fp16,q8,q4,q4f16').split(',') as ModelDtype[]
const bad = dtypes.find((d) => !MODEL_DTYPES.includes(d))
if (bad !== undefined) throw new Error(`--dtype: ${bad} is not one of ${MODEL_DTYPES.join(', ')}`)
const modelId = value('--model') ?? 'webtensor/tiny-gpt2'
const ROUNDS = Number(value('--rounds') ?? 3)
const plan = { promptWords: 16, newTokens: 64, repeats: 3 }
const wasmThreads = (value('--threads') ?? '1').split(',').map(Number)
const skipWebgpu = args.includes('--no-webgpu')

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

await ensureTestModels(modelsDir)
const root = await mkdtemp(join(tmpdir(), 'wt-bench-dtype-'))
await buildTestPage(join(root, 'page'))
const server = await serveTestPage(join(root, 'page'), modelsDir, TEST_HOST)
const browser = await launchChromium({ webgpu: true, extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`] })
const loadAtStart = loadavg()[0]!
try {
  const page = await browser.newPage()
  await page.addInitScript({ content: 'globalThis.__name = (f) => f' }) // tsx keepNames helper
  await page.goto(`${server.url}/`)
  await page.waitForFunction(() => window.webtensorReady === true)
  const inPage = (dtype: ModelDtype, device: 'wasm' | 'webgpu', o: typeof plan, numThreads = 1) =>
    page.evaluate(
      ({ modelId, dtype, device, o, numThreads }) => {
        const inf = window.webtensorInference
        return window.webtensorMeasure.measureCausal(async (cold) => {
          if (cold) await Promise.all([inf.clearModelCache(), caches.delete('transformers-cache')])
          return inf.loadModelInWorker({ modelId, device, dtype, numThreads, localModelPath: '/models/', wasmPaths: '/ort/', cache: true })
        }, o)
      },
      { modelId, dtype, device, o, numThreads },
    )

  const node: Record<string, CausalFigures[]> = {}
  const wasm: Record<string, CausalFigures[]> = {}
  for (let r = 0; r < ROUNDS; r++) {
    for (const dtype of dtypes) {
      const n = await measureCausal(() => loadModel({ modelId, localModelPath: modelsDir, dtype }), plan)
      ;(node[dtype] ??= []).push(n)
      const line = [`round ${r} ${dtype}: node ${round(n.tokensPerSec)} tok/s (load cold ${round(n.coldLoadMs)} / warm ${round(n.warmLoadMs)} ms)`]
      for (const t of wasmThreads) {
        const w = await inPage(dtype, 'wasm', plan, t)
        ;(wasm[`${dtype}/${t}`] ??= []).push(w)
        line.push(`wasm ${t}t ${round(w.tokensPerSec)} tok/s (load cold ${round(w.coldLoadMs)} / warm ${round(w.warmLoadMs)} ms)`)
      }
      console.log(line.join(', '))
    }
  }
  const webgpu: Record<string, unknown> = {}
  for (const dtype of skipWebgpu ? [] : dtypes) {
    try {
      const f = await inPage(dtype, 'webgpu', { ...plan, newTokens: 4, repeats: 1 })
      webgpu[dtype] = { runs: true, same_tokens_as_node: JSON.stringify(f.tokenIds) === JSON.stringify(node[dtype]![0]!.tokenIds.slice(0, f.tokenIds.length)) }
    } catch (e) {
      webgpu[dtype] = { runs: false, error: (e as Error).message.slice(0, 160) }
    }
    console.log(`webgpu (SwiftShader) ${dtype}: ${JSON.stringify(webgpu[dtype])}`)
  }
  const fold = (runs: CausalFigures[]) => ({
    tokens_per_s_median: round(median(runs.map((f) => f.tokensPerSec))),
    tokens_per_s_best: round(Math.max(...runs.map((f) => f.bestTokensPerSec))),
    cold_load_ms_median: round(median(runs.map((f) => f.coldLoadMs))),
    warm_load_ms_median: round(median(runs.map((f) => f.warmLoadMs))),
  })
  const byDtype = Object.fromEntries(
    dtypes.map((d) => {
      const n = fold(node[d]!)
      const byThreads = Object.fromEntries(
        wasmThreads.map((t) => {
          const runs = wasm[`${d}/${t}`]!
          const w = fold(runs)
          return [
            `threads_${t}`,
            {
              ...w,
              ratio_tokens_median: round(w.tokens_per_s_median / n.tokens_per_s_median, 2),
              ratio_tokens_best: round(w.tokens_per_s_best / n.tokens_per_s_best, 2),
              ratio_warm_load: round(w.warm_load_ms_median / n.warm_load_ms_median, 2),
              same_tokens_as_node: runs.every((f) => JSON.stringify(f.tokenIds) === JSON.stringify(node[d]![0]!.tokenIds)),
            },
          ]
        }),
      )
      const first = byThreads[`threads_${wasmThreads[0]}`]!
      return [
        d,
        {
          node_tokens_per_s: n.tokens_per_s_median,
          wasm_tokens_per_s: first.tokens_per_s_median,
          ratio_wasm_over_node: first.ratio_tokens_median,
          wasm_same_tokens_as_node: first.same_tokens_as_node,
          node: n,
          wasm: byThreads,
          ...(skipWebgpu ? {} : { webgpu_swiftshader: webgpu[d] }),
        },
      ]
    }),
  )
  for (const [d, f] of Object.entries(byDtype)) console.log(`${d.padEnd(6)} node ${f.node_tokens_per_s} tok/s, Chromium WASM ${f.wasm_tokens_per_s} tok/s (×${f.ratio_wasm_over_node})`)
  console.log(
    JSON.stringify({
      bench: 'inference-dtypes',
      model: modelId,
      cores: cpus().length,
      load_average_1m: { start: round(loadAtStart, 2), end: round(loadavg()[0]!, 2) },
      rounds: ROUNDS,
      plan,
      wasm_threads: wasmThreads,
      by_dtype: byDtype,
    }),
  )
} finally {
  await browser.close()
  await server.close()
  await rm(root, { recursive: true, force: true })
}

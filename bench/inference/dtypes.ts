/**
 * Per model and weight format (`npm run bench:inference -- --dtype fp32,q8 [--model ID,ID]
 * [--rounds N] [--threads 1,2] [--no-webgpu]`): each model (default the tiny GPT-2; the
 * distilgpt2-sized one is made on first use) in each dtype, Node (onnxruntime-node, one thread per
 * core) against a Chromium WASM worker at each of `--threads` (default 1 and 2). Rounds are
 * interleaved (round → model → dtype → Node, then each thread count) so the shared machine's load
 * hits every configuration alike. Each run is a cold and a warm load, then 3 greedy generates.
 * Reported per configuration: tokens/s as the median over rounds of each round's median generate
 * and the best generate seen, cold and warm load (median and best). Ratios are Chromium ÷ Node on
 * medians of the same rounds, per thread count and for the page's best thread count.
 *
 * WebGPU: with a real adapter each model × dtype is measured like WASM; on SwiftShader (no GPU)
 * only one short load per tiny model × dtype, for whether it runs and gives Node's greedy tokens —
 * its speed means nothing. The last line is one JSON object.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, TEST_HOST } from '../../test/support/browser.ts'
import { loadModel, MODEL_DTYPES, type ModelDtype } from '../../src/inference/index.ts'
import { measureCausal, type CausalFigures } from '../../src/inference/test-page/measure.ts'
import { buildTestPage, serveTestPage } from '../../src/inference/test-page/serve.ts'
import { DISTIL_ID, ensureBenchModels } from './models.ts'

const repo = resolve(fileURLToPath(import.meta.url), '../../..')
const modelsDir = join(repo, 'models')
const args = process.argv.slice(2)
const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined)
const dtypes = (value('--dtype') ?? 'fp32,fp16,q8,q4,q4f16').split(',') as ModelDtype[]
const bad = dtypes.find((d) => !MODEL_DTYPES.includes(d))
if (bad !== undefined) throw new Error(`--dtype: ${bad} is not one of ${MODEL_DTYPES.join(', ')}`)
const modelIds = (value('--model') ?? 'webtensor/tiny-gpt2').split(',')
const ROUNDS = Number(value('--rounds') ?? 3)
const plan = { promptWords: 16, newTokens: 64, repeats: 3 }
const wasmThreads = (value('--threads') ?? '1,2').split(',').map(Number)
const skipWebgpu = args.includes('--no-webgpu')

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const log = (line: string) => console.log(line)

await ensureBenchModels(modelsDir, modelIds, log)
const root = await mkdtemp(join(tmpdir(), 'wt-bench-dtype-'))
await buildTestPage(join(root, 'page'))
const server = await serveTestPage(join(root, 'page'), modelsDir, TEST_HOST)
const browser = await launchChromium({ webgpu: !skipWebgpu, extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`] })
const loadAtStart = loadavg()[0]!
try {
  const page = await browser.newPage()
  await page.addInitScript({ content: 'globalThis.__name = (f) => f' }) // tsx keepNames helper
  await page.goto(`${server.url}/`)
  await page.waitForFunction(() => window.webtensorReady === true)
  const inPage = (modelId: string, dtype: ModelDtype, device: 'wasm' | 'webgpu', o: typeof plan, numThreads = 1) =>
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
  const gpu = skipWebgpu ? null : await page.evaluate(async () => (await window.webtensorInference.deviceReport()).webgpu)
  const realGpu = gpu !== null && gpu.available && !gpu.fallback && !/swiftshader/i.test(gpu.description)
  log(`WebGPU adapter: ${gpu === null ? 'not tried (--no-webgpu)' : gpu.available ? `${gpu.description}${realGpu ? '' : ' — software, correctness only'}` : `none (${gpu.why})`}`)

  const runs: Record<string, CausalFigures[]> = {}
  const key = (modelId: string, dtype: string, side: string) => `${modelId}|${dtype}|${side}`
  const push = (k: string, f: CausalFigures) => (runs[k] ??= []).push(f)
  const brief = (f: CausalFigures) => `${round(f.tokensPerSec)} tok/s (load ${round(f.coldLoadMs)} / ${round(f.warmLoadMs)} ms)`
  for (let r = 0; r < ROUNDS; r++) {
    for (const modelId of modelIds) {
      for (const dtype of dtypes) {
        const n = await measureCausal(() => loadModel({ modelId, localModelPath: modelsDir, dtype }), plan)
        push(key(modelId, dtype, 'node'), n)
        const line = [`round ${r} ${modelId} ${dtype}: node ${brief(n)}`]
        for (const t of wasmThreads) {
          const w = await inPage(modelId, dtype, 'wasm', plan, t)
          push(key(modelId, dtype, `wasm/${t}`), w)
          line.push(`wasm ${t}t ${brief(w)}`)
        }
        if (realGpu) {
          const g = await inPage(modelId, dtype, 'webgpu', plan).catch((e: Error) => e)
          if (!(g instanceof Error)) push(key(modelId, dtype, 'webgpu'), g)
          line.push(g instanceof Error ? `webgpu failed: ${g.message.slice(0, 120)}` : `webgpu ${brief(g)}`)
        }
        log(line.join(', '))
      }
    }
  }
  // SwiftShader: whether each tiny model × dtype runs and matches Node's greedy tokens.
  const swiftshader: Record<string, Record<string, unknown>> = {}
  for (const modelId of gpu?.available && !realGpu ? modelIds.filter((m) => m !== DISTIL_ID) : []) {
    for (const dtype of dtypes) {
      const nodeTokens = runs[key(modelId, dtype, 'node')]![0]!.tokenIds
      try {
        const f = await inPage(modelId, dtype, 'webgpu', { ...plan, newTokens: 4, repeats: 1 })
        ;(swiftshader[modelId] ??= {})[dtype] = { runs: true, same_tokens_as_node: JSON.stringify(f.tokenIds) === JSON.stringify(nodeTokens.slice(0, f.tokenIds.length)) }
      } catch (e) {
        ;(swiftshader[modelId] ??= {})[dtype] = { runs: false, error: (e as Error).message.slice(0, 160) }
      }
      log(`webgpu (SwiftShader) ${modelId} ${dtype}: ${JSON.stringify(swiftshader[modelId]![dtype])}`)
    }
  }

  const fold = (fs: CausalFigures[]) => ({
    tokens_per_s_median: round(median(fs.map((f) => f.tokensPerSec))),
    tokens_per_s_best: round(Math.max(...fs.map((f) => f.bestTokensPerSec))),
    cold_load_ms_median: round(median(fs.map((f) => f.coldLoadMs))),
    cold_load_ms_best: round(Math.min(...fs.map((f) => f.coldLoadMs))),
    warm_load_ms_median: round(median(fs.map((f) => f.warmLoadMs))),
    warm_load_ms_best: round(Math.min(...fs.map((f) => f.warmLoadMs))),
  })
  const byModel: Record<string, Record<string, unknown>> = {}
  const ratios: Record<string, Record<string, { best_threads: number; tokens_median: number; tokens_best: number; warm_load: number; cold_load: number }>> = {}
  const table: string[] = ['| model | dtype | Node tok/s (median / best) | ' + wasmThreads.map((t) => `WASM ${t}t tok/s`).join(' | ') + ' | WASM ÷ Node (best threads) | load cold / warm, Node → page (s) |', '|---|---|---|' + wasmThreads.map(() => '---|').join('') + '---|---|']
  for (const modelId of modelIds) {
    for (const dtype of dtypes) {
      const nodeRuns = runs[key(modelId, dtype, 'node')]!
      const n = fold(nodeRuns)
      const sameTokens = (fs: CausalFigures[]) => fs.every((f) => JSON.stringify(f.tokenIds) === JSON.stringify(nodeRuns[0]!.tokenIds))
      const wasm = Object.fromEntries(
        wasmThreads.map((t) => {
          const fs = runs[key(modelId, dtype, `wasm/${t}`)]!
          const w = fold(fs)
          return [
            `threads_${t}`,
            {
              ...w,
              ratio_tokens_median: round(w.tokens_per_s_median / n.tokens_per_s_median, 2),
              ratio_tokens_best: round(w.tokens_per_s_best / n.tokens_per_s_best, 2),
              ratio_warm_load: round(w.warm_load_ms_median / n.warm_load_ms_median, 2),
              ratio_cold_load: round(w.cold_load_ms_median / n.warm_load_ms_median, 2),
              same_tokens_as_node: sameTokens(fs),
            },
          ]
        }),
      )
      // What a page gets: it keeps the thread count it measured faster (thread-choice.ts).
      const bestT = wasmThreads.reduce((a, b) => (wasm[`threads_${b}`]!.tokens_per_s_median > wasm[`threads_${a}`]!.tokens_per_s_median ? b : a))
      const b = wasm[`threads_${bestT}`]!
      ;(ratios[modelId] ??= {})[dtype] = { best_threads: bestT, tokens_median: b.ratio_tokens_median, tokens_best: b.ratio_tokens_best, warm_load: b.ratio_warm_load, cold_load: b.ratio_cold_load }
      const webgpuRuns = runs[key(modelId, dtype, 'webgpu')]
      ;(byModel[modelId] ??= {})[dtype] = {
        node: n,
        wasm,
        ...(webgpuRuns ? { webgpu: { ...fold(webgpuRuns), same_tokens_as_node: sameTokens(webgpuRuns) } } : {}),
        ...(swiftshader[modelId]?.[dtype] ? { webgpu_swiftshader: swiftshader[modelId][dtype] } : {}),
      }
      const s = (ms: number) => round(ms / 1000, 2)
      table.push(
        `| ${modelId} | ${dtype} | ${n.tokens_per_s_median} / ${n.tokens_per_s_best} | ` +
          wasmThreads.map((t) => `${wasm[`threads_${t}`]!.tokens_per_s_median} / ${wasm[`threads_${t}`]!.tokens_per_s_best}`).join(' | ') +
          ` | ${b.ratio_tokens_median} (${bestT}t) | ${s(n.cold_load_ms_median)} / ${s(n.warm_load_ms_median)} → ${s(b.cold_load_ms_median)} / ${s(b.warm_load_ms_median)} |`,
      )
    }
  }
  log(table.join('\n'))
  console.log(
    JSON.stringify({
      bench: 'inference-dtypes',
      models: modelIds,
      cores: cpus().length,
      load_average_1m: { start: round(loadAtStart, 2), end: round(loadavg()[0]!, 2) },
      rounds: ROUNDS,
      plan,
      wasm_threads: wasmThreads,
      webgpu: gpu === null ? 'skipped' : gpu.available ? (realGpu ? gpu.description : 'software (SwiftShader): correctness only') : 'none',
      by_model: byModel,
      ratios,
    }),
  )
} finally {
  await browser.close()
  await server.close()
  await rm(root, { recursive: true, force: true })
}

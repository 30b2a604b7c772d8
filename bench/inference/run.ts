/**
 * Inference bench (`npm run bench:inference [-- --quick]`): load time (cold/warm), time to first
 * token and tokens/s for the tiny and the distilgpt2-sized GPT-2, and embeddings/s for the tiny
 * BERT — in Node (onnxruntime-node), Chromium WASM (through the worker runner) and Chromium WebGPU
 * (SwiftShader: correctness only, its speed means nothing). The last line is one JSON object.
 *
 * The machine this runs on is shared, so Node and browser runs are interleaved round by round and
 * each configuration reports its fastest run (best-of-N) next to the median; the ratio
 * browser-WASM ÷ Node compares the best configuration of each side.
 *
 * Page loads with the OPFS model cache (`page-load.ts`): cold and warm (after a reload) in an
 * on-disk Chromium profile against Node's warm load, as ratios (`page_load` in the JSON).
 *
 * Models live in <repo>/models (git-ignored); the distilgpt2-sized one (~330 MB) is made on the
 * first run. `--quick` skips it and runs one round; `--load-only` measures only the page loads; `--rounds N` overrides the rounds;
 * `--dtype fp16,q4` runs bench/inference/dtypes.ts (tokens/s per weight format) instead.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { launchChromium, TEST_HOST } from '../../test/support/browser.ts'
import { ensureTestModels, loadModel, type ModelIntegrity } from '../../src/inference/index.ts'
import { measureCausal, measureEmbed, type CausalFigures, type EmbedFigures } from '../../src/inference/test-page/measure.ts'
import { buildTestPage, serveTestPage } from '../../src/inference/test-page/serve.ts'
import { measurePageLoads, type PageLoadVariant } from './page-load.ts'
import { DISTIL_ID, ensureDistilModel } from './models.ts'

// `--dtype fp16,q4,…`: tokens/s per weight format instead, Node vs Chromium WASM (dtypes.ts).
if (process.argv.includes('--dtype')) {
  await import('./dtypes.ts')
  process.exit(0)
}

const repo = resolve(fileURLToPath(import.meta.url), '../../..')
const modelsDir = join(repo, 'models')
const quick = process.argv.includes('--quick')
const loadOnly = process.argv.includes('--load-only')
const roundsArg = process.argv.indexOf('--rounds')
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : quick ? 1 : 2
const argValue = (name: string) => (process.argv.indexOf(name) > 0 ? process.argv[process.argv.indexOf(name) + 1] : undefined)
/** `--wasm-loading streaming|cache-api`, `--graph-opt disabled|basic|extended|all`, `--model tiny|distil`: page-load variants to compare. */
const variant: PageLoadVariant = {
  ...(argValue('--wasm-loading') ? { wasmLoading: argValue('--wasm-loading') as PageLoadVariant['wasmLoading'] } : {}),
  ...(argValue('--graph-opt') ? { graphOptimization: argValue('--graph-opt') as PageLoadVariant['graphOptimization'] } : {}),
}
const onlyModel = argValue('--model')

interface ModelPlan {
  id: string
  promptWords: number
  newTokens: number
  repeats: number
}
const causal: ModelPlan[] = [
  { id: 'webtensor/tiny-gpt2', promptWords: 16, newTokens: 64, repeats: 5 },
  ...(quick ? [] : [{ id: DISTIL_ID, promptWords: 16, newTokens: 64, repeats: 3 }]),
]
const EMBED = { id: 'webtensor/tiny-bert', batch: 64, repeats: 5 }
/** undefined = onnxruntime-node's default (one thread per core). */
const NODE_THREADS: (number | undefined)[] = [undefined, 1]
const WASM_THREADS = [1, 2]
const nodeLabel = (t: number | undefined) => (t === undefined ? 'threads_default' : `threads_${t}`)

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d
const log = (...a: unknown[]) => console.log(...a)
const fmt = (f: CausalFigures) =>
  `load cold ${round(f.coldLoadMs)} ms / warm ${round(f.warmLoadMs)} ms, TTFT ${round(f.bestTtftMs)} ms, ${round(f.tokensPerSec)} tok/s median, ${round(f.bestTokensPerSec)} best`

/** Makes the models if missing; returns the manifests of the causal ones (what the page-load bench pins). */
async function ensureModels(): Promise<Record<string, ModelIntegrity>> {
  const tiny = await ensureTestModels(modelsDir)
  const pinned: Record<string, ModelIntegrity> = { [causal[0].id]: tiny[causal[0].id] }
  if (quick) return pinned
  pinned[DISTIL_ID] = await ensureDistilModel(modelsDir, log)
  return pinned
}

function browserCausal(page: Page, id: string, device: 'wasm' | 'webgpu', numThreads: number, plan: Omit<ModelPlan, 'id'>): Promise<CausalFigures> {
  return page.evaluate(
    async ({ id, device, numThreads, plan }) => {
      const inf = window.webtensorInference
      return window.webtensorMeasure.measureCausal(async (cold) => {
        // Cold: nothing cached (model files nor the onnxruntime wasm binary).
        if (cold) await Promise.all([inf.clearModelCache(), caches.delete('transformers-cache')])
        return inf.loadModelInWorker({ modelId: id, device, numThreads, localModelPath: '/models/', wasmPaths: '/ort/', cache: true })
      }, plan)
    },
    { id, device, numThreads, plan },
  )
}

function browserEmbed(page: Page, numThreads: number): Promise<EmbedFigures> {
  return page.evaluate(
    async ({ id, numThreads, plan }) => {
      const inf = window.webtensorInference
      return window.webtensorMeasure.measureEmbed(async (cold) => {
        if (cold) await Promise.all([inf.clearModelCache(), caches.delete('transformers-cache')])
        return inf.loadModelInWorker({ modelId: id, device: 'wasm', numThreads, localModelPath: '/models/', wasmPaths: '/ort/', cache: true })
      }, plan)
    },
    { id: EMBED.id, numThreads, plan: EMBED },
  )
}

/** Folds the rounds of one configuration: best-of for speeds and load times, median-of-medians noted. */
function foldCausal(runs: CausalFigures[], nodeTokens?: number[]) {
  const best = runs.reduce((a, b) => (b.bestTokensPerSec > a.bestTokensPerSec ? b : a))
  return {
    device: best.device,
    cold_load_ms: round(Math.min(...runs.map((r) => r.coldLoadMs))),
    warm_load_ms: round(Math.min(...runs.map((r) => r.warmLoadMs))),
    ttft_ms: round(Math.min(...runs.map((r) => r.bestTtftMs))),
    best_tokens_per_s: round(best.bestTokensPerSec),
    median_tokens_per_s: round(runs.map((r) => r.tokensPerSec).sort((a, b) => a - b)[Math.floor(runs.length / 2)]),
    decode_tokens_per_s: round(best.decodeTokensPerSec),
    prompt_tokens: best.promptTokens,
    new_tokens: best.newTokens,
    ...(nodeTokens ? { same_tokens_as_node: runs.every((r) => JSON.stringify(r.tokenIds) === JSON.stringify(nodeTokens)) } : {}),
  }
}
const foldEmbed = (runs: EmbedFigures[]) => ({
  embeddings_per_s: round(Math.max(...runs.map((r) => r.embeddingsPerSec))),
  batch: runs[0].batch,
  cold_load_ms: round(Math.min(...runs.map((r) => r.coldLoadMs))),
  warm_load_ms: round(Math.min(...runs.map((r) => r.warmLoadMs))),
})

const manifests = await ensureModels()
const root = await mkdtemp(join(tmpdir(), 'wt-bench-'))
await buildTestPage(join(root, 'page'))
const server = await serveTestPage(join(root, 'page'), modelsDir, TEST_HOST)
if (loadOnly) {
  try {
    const loadAverage = loadavg()[0]
    const models = Object.fromEntries(Object.entries(manifests).filter(([id]) => !onlyModel || id.includes(onlyModel)))
    const page_load = await measurePageLoads(server.url, root, modelsDir, models, ROUNDS, log, variant)
    console.log(JSON.stringify({ bench: 'inference-page-load', cores: cpus().length, load_average_1m: { start: round(loadAverage, 2), end: round(loadavg()[0], 2) }, rounds: ROUNDS, variant, page_load }))
  } finally {
    await server.close()
    await rm(root, { recursive: true, force: true })
  }
  process.exit(0)
}
const browser = await launchChromium({ webgpu: true, extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`] })
const loadAtStart = loadavg()[0]
try {
  const page = await browser.newPage()
  await page.addInitScript({ content: 'globalThis.__name = (f) => f' }) // tsx keepNames helper
  await page.goto(`${server.url}/`)
  await page.waitForFunction(() => window.webtensorReady === true)
  const isolated = await page.evaluate(() => crossOriginIsolated)

  const nodeRuns: Record<string, Record<string, CausalFigures[]>> = {}
  const wasmRuns: Record<string, Record<string, CausalFigures[]>> = {}
  for (const p of causal) {
    nodeRuns[p.id] = {}
    wasmRuns[p.id] = {}
    for (let r = 0; r < ROUNDS; r++) {
      for (const t of NODE_THREADS) {
        const f = await measureCausal(() => loadModel({ modelId: p.id, localModelPath: modelsDir, numThreads: t }), p)
        ;(nodeRuns[p.id][nodeLabel(t)] ??= []).push(f)
        log(`node ${p.id} ${nodeLabel(t)} round ${r}: ${fmt(f)}`)
      }
      for (const t of WASM_THREADS) {
        const f = await browserCausal(page, p.id, 'wasm', t, p)
        ;(wasmRuns[p.id][`threads_${t}`] ??= []).push(f)
        log(`wasm ${p.id} threads_${t} round ${r}: ${fmt(f)}`)
      }
    }
  }
  const nodeEmbed: EmbedFigures[] = []
  const wasmEmbed: Record<string, EmbedFigures[]> = {}
  for (let r = 0; r < ROUNDS; r++) {
    nodeEmbed.push(await measureEmbed(() => loadModel({ modelId: EMBED.id, localModelPath: modelsDir }), EMBED))
    for (const t of WASM_THREADS) (wasmEmbed[`threads_${t}`] ??= []).push(await browserEmbed(page, t))
    log(`embed round ${r}: node ${round(nodeEmbed.at(-1)!.embeddingsPerSec)}/s, ${WASM_THREADS.map((t) => `wasm threads_${t} ${round(wasmEmbed[`threads_${t}`].at(-1)!.embeddingsPerSec)}/s`).join(', ')}`)
  }
  // WebGPU on SwiftShader: a correctness check of the path, with a short run.
  const tiny = causal[0]
  const nodeTiny = nodeRuns[tiny.id][nodeLabel(NODE_THREADS[0])][0].tokenIds
  const webgpu = await browserCausal(page, tiny.id, 'webgpu', 1, { ...tiny, newTokens: 16, repeats: 1 })
  log(`webgpu ${tiny.id} (SwiftShader, correctness only): ${fmt(webgpu)}`)

  const node: Record<string, unknown> = {}
  const wasm: Record<string, unknown> = {}
  const ratios: Record<string, number> = {}
  for (const p of causal) {
    const nodeTokens = nodeRuns[p.id][nodeLabel(NODE_THREADS[0])][0].tokenIds
    node[p.id] = Object.fromEntries(Object.entries(nodeRuns[p.id]).map(([k, runs]) => [k, foldCausal(runs)]))
    wasm[p.id] = Object.fromEntries(Object.entries(wasmRuns[p.id]).map(([k, runs]) => [k, foldCausal(runs, nodeTokens)]))
    const bestOf = (byConfig: Record<string, CausalFigures[]>) => Math.max(...Object.values(byConfig).flat().map((f) => f.bestTokensPerSec))
    ratios[p.id] = round(bestOf(wasmRuns[p.id]) / bestOf(nodeRuns[p.id]), 2)
  }
  node[EMBED.id] = foldEmbed(nodeEmbed)
  wasm[EMBED.id] = Object.fromEntries(Object.entries(wasmEmbed).map(([k, runs]) => [k, foldEmbed(runs)]))
  const page_load = await measurePageLoads(server.url, root, modelsDir, manifests, ROUNDS, log)
  const summary = {
    bench: 'inference',
    cores: cpus().length,
    load_average_1m: { start: round(loadAtStart, 2), end: round(loadavg()[0], 2) },
    rounds: ROUNDS,
    cross_origin_isolated: isolated,
    node,
    wasm,
    webgpu_swiftshader: { [tiny.id]: { ...foldCausal([webgpu], nodeTiny.slice(0, webgpu.tokenIds.length)) } },
    ratio_wasm_over_node: ratios[causal.at(-1)!.id],
    ratio_wasm_over_node_by_model: ratios,
    page_load,
  }
  console.log(JSON.stringify(summary))
} finally {
  await browser.close()
  await server.close()
  await rm(root, { recursive: true, force: true })
}

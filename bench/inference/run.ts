/**
 * Inference bench (`npm run bench:inference [-- --quick]`): load time (cold/warm), time to first
 * token and tokens/s for the tiny and the distilgpt2-sized GPT-2, and embeddings/s for the tiny
 * BERT — in Node (onnxruntime-node), Chromium WASM (in the worker runner) and Chromium WebGPU
 * (SwiftShader: correctness only, its speed means nothing). The last line is one JSON object.
 *
 * Models live in <repo>/models (git-ignored); the distilgpt2-sized one (~330 MB) is made on the
 * first run. `--quick` skips it.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, TEST_HOST } from '../../test/support/browser.ts'
import { ensureTestModels, loadModel, makeTestModel } from '../../src/inference/index.ts'
import { measureCausal, measureEmbed, type CausalFigures, type EmbedFigures } from '../../src/inference/test-page/measure.ts'
import { buildTestPage, serveTestPage } from '../../src/inference/test-page/serve.ts'

const repo = resolve(fileURLToPath(import.meta.url), '../../..')
const modelsDir = join(repo, 'models')
const quick = process.argv.includes('--quick')

interface ModelPlan {
  id: string
  promptWords: number
  newTokens: number
  repeats: number
}
const causal: ModelPlan[] = [
  { id: 'webtensor/tiny-gpt2', promptWords: 16, newTokens: 64, repeats: 5 },
  ...(quick ? [] : [{ id: 'webtensor/gpt2-distil-size', promptWords: 16, newTokens: 64, repeats: 3 }]),
]
const EMBED = { id: 'webtensor/tiny-bert', batch: 64, repeats: 5 }
const WASM_THREADS = [1, 2]

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d
const log = (...a: unknown[]) => console.log(...a)

async function ensureModels(): Promise<void> {
  await ensureTestModels(modelsDir)
  if (quick) return
  const dir = join(modelsDir, 'webtensor', 'gpt2-distil-size')
  if (!(await stat(join(dir, 'onnx', 'model.onnx')).catch(() => null))) {
    const t = performance.now()
    await makeTestModel('gpt2-distil-size', dir)
    log(`made ${dir} in ${round((performance.now() - t) / 1000)} s`)
  }
}

async function benchNode(): Promise<{ causal: Record<string, CausalFigures>; embed: EmbedFigures }> {
  const out: Record<string, CausalFigures> = {}
  for (const p of causal) {
    out[p.id] = await measureCausal(() => loadModel({ modelId: p.id, localModelPath: modelsDir }), p)
    log(`node  ${p.id}: ${fmt(out[p.id])}`)
  }
  const embed = await measureEmbed(() => loadModel({ modelId: EMBED.id, localModelPath: modelsDir }), EMBED)
  log(`node  ${EMBED.id}: ${round(embed.embeddingsPerSec)} embeddings/s (batch ${EMBED.batch})`)
  return { causal: out, embed }
}

const fmt = (f: CausalFigures) =>
  `load cold ${round(f.coldLoadMs)} ms / warm ${round(f.warmLoadMs)} ms, TTFT ${round(f.ttftMs)} ms, ${round(f.tokensPerSec)} tok/s median, ${round(f.bestTokensPerSec)} best (decode ${round(f.decodeTokensPerSec)} tok/s)`

async function benchBrowser(nodeTokens: Record<string, number[]>) {
  const root = await mkdtemp(join(tmpdir(), 'wt-bench-'))
  await buildTestPage(join(root, 'page'))
  const server = await serveTestPage(join(root, 'page'), modelsDir, TEST_HOST)
  const browser = await launchChromium({ webgpu: true, extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`] })
  try {
    const page = await browser.newPage()
    await page.addInitScript({ content: 'globalThis.__name = (f) => f' }) // tsx keepNames helper
    await page.goto(`${server.url}/`)
    await page.waitForFunction(() => window.webtensorReady === true)
    const isolated = await page.evaluate(() => crossOriginIsolated)
    const run = (id: string, device: 'wasm' | 'webgpu', numThreads: number, plan: Omit<ModelPlan, 'id'>) =>
      page.evaluate(
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
    const wasm: Record<string, Record<string, CausalFigures>> = {}
    for (const p of causal) {
      wasm[p.id] = {}
      for (const threads of WASM_THREADS) {
        const f = await run(p.id, 'wasm', threads, p)
        wasm[p.id][`threads_${threads}`] = f
        log(`wasm  ${p.id} (${threads} thread${threads > 1 ? 's' : ''}): ${fmt(f)}${same(f.tokenIds, nodeTokens[p.id])}`)
      }
    }
    const embed: Record<string, EmbedFigures> = {}
    for (const threads of WASM_THREADS) {
      embed[`threads_${threads}`] = await page.evaluate(
        async ({ id, threads, plan }) => {
          const inf = window.webtensorInference
          return window.webtensorMeasure.measureEmbed(async (cold) => {
            if (cold) await Promise.all([inf.clearModelCache(), caches.delete('transformers-cache')])
            return inf.loadModelInWorker({ modelId: id, device: 'wasm', numThreads: threads, localModelPath: '/models/', wasmPaths: '/ort/', cache: true })
          }, plan)
        },
        { id: EMBED.id, threads, plan: EMBED },
      )
      log(`wasm  ${EMBED.id} (${threads} thread${threads > 1 ? 's' : ''}): ${round(embed[`threads_${threads}`].embeddingsPerSec)} embeddings/s (batch ${EMBED.batch})`)
    }
    // WebGPU on SwiftShader: a correctness check of the path, with a short run.
    const tiny = causal[0]
    const webgpu = await run(tiny.id, 'webgpu', 1, { ...tiny, newTokens: 16, repeats: 1 })
    const webgpuSame = JSON.stringify(webgpu.tokenIds) === JSON.stringify(nodeTokens[tiny.id].slice(0, 16))
    log(`webgpu ${tiny.id} (SwiftShader, correctness only): greedy tokens ${webgpuSame ? 'identical to' : 'DIFFERENT from'} Node; ${fmt(webgpu)}`)
    return { isolated, wasm, embed, webgpu: { ...webgpu, sameTokensAsNode: webgpuSame } }
  } finally {
    await browser.close()
    await server.close()
    await rm(root, { recursive: true, force: true })
  }
}

function same(a: number[], b: number[]): string {
  return JSON.stringify(a) === JSON.stringify(b) ? ' [tokens = Node]' : ' [TOKENS DIFFER FROM NODE]'
}

await ensureModels()
const node = await benchNode()
const browser = await benchBrowser(Object.fromEntries(Object.entries(node.causal).map(([id, f]) => [id, f.tokenIds])))

const ratios: Record<string, number> = {}
for (const p of causal) {
  // Best-of-N on both sides: on a shared machine the fastest run is the least disturbed one.
  const best = Math.max(...WASM_THREADS.map((t) => browser.wasm[p.id][`threads_${t}`].bestTokensPerSec))
  ratios[p.id] = round(best / node.causal[p.id].bestTokensPerSec, 2)
}
const strip = (f: CausalFigures) => ({
  device: f.device,
  cold_load_ms: round(f.coldLoadMs),
  warm_load_ms: round(f.warmLoadMs),
  ttft_ms: round(f.ttftMs),
  tokens_per_s: round(f.tokensPerSec),
  best_tokens_per_s: round(f.bestTokensPerSec),
  best_ttft_ms: round(f.bestTtftMs),
  decode_tokens_per_s: round(f.decodeTokensPerSec),
  prompt_tokens: f.promptTokens,
  new_tokens: f.newTokens,
})
const summary = {
  bench: 'inference',
  cores: cpus().length,
  load_average_1m_at_end: round(loadavg()[0], 2),
  cross_origin_isolated: browser.isolated,
  node: {
    ...Object.fromEntries(Object.entries(node.causal).map(([id, f]) => [id, strip(f)])),
    [EMBED.id]: { embeddings_per_s: round(node.embed.embeddingsPerSec), batch: EMBED.batch, cold_load_ms: round(node.embed.coldLoadMs), warm_load_ms: round(node.embed.warmLoadMs) },
  },
  wasm: {
    ...Object.fromEntries(Object.entries(browser.wasm).map(([id, byThreads]) => [id, Object.fromEntries(Object.entries(byThreads).map(([k, f]) => [k, { ...strip(f), same_tokens_as_node: JSON.stringify(f.tokenIds) === JSON.stringify(node.causal[id].tokenIds) }]))])),
    [EMBED.id]: Object.fromEntries(Object.entries(browser.embed).map(([k, e]) => [k, { embeddings_per_s: round(e.embeddingsPerSec), batch: e.batch, cold_load_ms: round(e.coldLoadMs), warm_load_ms: round(e.warmLoadMs) }])),
  },
  webgpu_swiftshader: { [causal[0].id]: { ...strip(browser.webgpu), same_tokens_as_node: browser.webgpu.sameTokensAsNode } },
  ratio_wasm_over_node: ratios[causal.at(-1)!.id],
  ratio_wasm_over_node_by_model: ratios,
}
console.log(JSON.stringify(summary))

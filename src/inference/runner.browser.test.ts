/**
 * The worker runner in Chromium (WASM, and WebGPU on SwiftShader) against the Node runner: same
 * greedy tokens everywhere, and `score` agreeing with `generate`'s log-probabilities — what a
 * validator relies on to check a miner on another backend.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, TEST_HOST } from '../../test/support/browser.ts'
import { ensureTestModels, loadModel, ONNX_FILE_OF_DTYPE, type GenerateResult, type LoadProgress, type ModelDtype, type ModelIntegrity, type ScoreResult } from './index.ts'
import { MIN_CHOICE_TOLERANCE, MIN_LOGPROB_TOLERANCE } from './dtype-tolerance.ts'
import { buildTestPage, serveTestPage, type TestServer } from './test-page/serve.ts'

/** |score − generate| logprob on one backend (KV-cached steps vs one teacher-forced pass). */
const SAME_BACKEND_TOLERANCE = 1e-4
/** |score − generate| logprob across backends (different kernels, float32 summation order). */
const CROSS_BACKEND_TOLERANCE = 1e-3
// Other dtypes: within MIN_LOGPROB_TOLERANCE[dtype], the least tolerance a subnet of that dtype
// may set (measured gaps in dtype-tolerance.ts and docs/protocol.md).

const ID = 'webtensor/tiny-gpt2'
const PROMPTS = ['The quick brown fox', 'Validators check miners by scoring', 'Hello']
const MAX_NEW = 20

let root: string
let server: TestServer
let browser: Browser
let manifest: ModelIntegrity
const node: GenerateResult[] = []

interface PageRun {
  device: string
  deviceReason: string
  crossOriginIsolated: boolean
  generated: GenerateResult[]
  scored: ScoreResult[]
  crossScored: ScoreResult[]
  progress: LoadProgress[]
  ticksDuringGenerate: number
}

async function openPage(): Promise<Page> {
  const page = await browser.newPage()
  // tsx (esbuild keepNames) wraps functions in __name(); callbacks sent to the page need it too.
  await page.addInitScript({ content: 'globalThis.__name = (f) => f' })
  page.on('pageerror', (e) => console.error('[page error]', e))
  await page.goto(`${server.url}/`)
  await page.waitForFunction(() => window.webtensorReady === true)
  return page
}

/** Loads the model in a worker on `device`, generates for each prompt, scores, and reports. */
async function runInPage(page: Page, device: 'auto' | 'wasm' | 'webgpu'): Promise<PageRun> {
  return page.evaluate(
    async ({ device, id, prompts, maxNew, manifest, nodeTokens }) => {
      const progress: LoadProgress[] = []
      const m = await window.webtensorInference.loadModelInWorker({
        modelId: id,
        device,
        localModelPath: '/models/',
        wasmPaths: '/ort/',
        integrity: manifest,
        cache: false,
        onProgress: (p) => progress.push(p),
      })
      try {
        const generated = []
        const scored = []
        const crossScored = []
        // The page keeps running while the worker decodes: count timer ticks meanwhile.
        let ticks = 0
        const timer = setInterval(() => ticks++, 0)
        for (const prompt of prompts) {
          const g = await m.generate({ prompt, maxNewTokens: maxNew, topK: 3 })
          generated.push(g)
          scored.push(await m.score({ prompt, tokenIds: g.tokenIds }))
        }
        clearInterval(timer)
        for (let i = 0; i < prompts.length; i++) crossScored.push(await m.score({ prompt: prompts[i], tokenIds: nodeTokens[i] }))
        return { device: m.device, deviceReason: m.deviceReason, crossOriginIsolated, generated, scored, crossScored, progress, ticksDuringGenerate: ticks }
      } finally {
        await m.dispose()
      }
    },
    { device, id: ID, prompts: PROMPTS, maxNew: MAX_NEW, manifest, nodeTokens: node.map((g) => g.tokenIds) },
  )
}

function assertAgrees(run: PageRun, label: string): void {
  PROMPTS.forEach((prompt, i) => {
    const g = run.generated[i]
    assert.deepEqual(g.promptTokenIds, node[i].promptTokenIds, `${label}: prompt tokens for ${prompt}`)
    assert.deepEqual(g.tokenIds, node[i].tokenIds, `${label}: greedy tokens for ${prompt}`)
    assert.deepEqual(run.scored[i].argmax, g.tokenIds, `${label}: score argmax = greedy tokens`)
    g.logprobs.forEach((lp, j) => {
      assert.ok(Math.abs(run.scored[i].logprobs[j] - lp) <= SAME_BACKEND_TOLERANCE, `${label}: score vs generate at ${j}: ${run.scored[i].logprobs[j]} vs ${lp}`)
      // A validator in this browser scoring the Node miner's answer, and vice versa in spirit.
      assert.ok(Math.abs(run.crossScored[i].logprobs[j] - node[i].logprobs[j]) <= CROSS_BACKEND_TOLERANCE, `${label}: browser score vs Node generate at ${j}`)
      assert.ok(Math.abs(lp - node[i].logprobs[j]) <= CROSS_BACKEND_TOLERANCE, `${label}: browser vs Node generate logprob at ${j}`)
    })
  })
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'wt-browser-'))
  manifest = (await ensureTestModels(join(root, 'models')))[ID]
  const runner = await loadModel({ modelId: ID, localModelPath: join(root, 'models') })
  for (const prompt of PROMPTS) node.push(await runner.generate({ prompt, maxNewTokens: MAX_NEW, topK: 3 }))
  await runner.dispose()
  await buildTestPage(join(root, 'page'))
  server = await serveTestPage(join(root, 'page'), join(root, 'models'), TEST_HOST)
  // http://10.77.0.1 is not a secure context: without this flag there is no WebGPU, no
  // crypto.subtle and no cross-origin isolation. (Real deployments use https or localhost.)
  browser = await launchChromium({ webgpu: true, extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`] })
})

after(async () => {
  await browser?.close()
  await server?.close()
  await rm(root, { recursive: true, force: true })
})

test('auto picks WASM over a fallback (SwiftShader) WebGPU adapter, and says so', async () => {
  const page = await openPage()
  const choice = await page.evaluate(() => window.webtensorInference.chooseDevice('auto'))
  assert.equal(choice.device, 'wasm')
  assert.match(choice.reason, /fallback/)
  await page.close()
})

test('Chromium WASM in a worker: same greedy tokens as Node, score agrees with generate, progress reported', async () => {
  const page = await openPage()
  const run = await runInPage(page, 'auto')
  await page.close()
  assert.equal(run.device, 'wasm')
  assert.equal(run.crossOriginIsolated, true, 'COOP/COEP make the page cross-origin isolated (WASM threads possible)')
  assertAgrees(run, 'wasm')
  assert.ok(run.ticksDuringGenerate > 0, 'the page ran timers while the worker generated')
  assert.ok(run.progress.some((p) => p.status === 'load' && p.file === 'onnx/model.onnx' && p.loaded === p.total))
  assert.equal(run.progress.at(-1)?.status, 'ready')
  assert.equal(run.progress.at(-1)?.progress, 1)
})

test('numThreads auto: serves with 1 thread at once, times 2 in the background, keeps the faster (switching by itself), says why, and a second load uses the stored choice', async () => {
  const page = await openPage()
  try {
    const out = await page.evaluate(
      async ({ id, prompt, manifest }) => {
        const load = () =>
          window.webtensorInference.loadModelInWorker({ modelId: id, device: 'wasm', numThreads: 'auto', localModelPath: '/models/', wasmPaths: '/ort/', integrity: manifest, cache: true })
        const first = await load()
        const before = first.threads
        // Served at once with 1 thread while 2 are timed in the background; a generate meanwhile works.
        const during = (await first.generate({ prompt, maxNewTokens: 8 })).tokenIds
        const settled = await first.threadsSettled
        const a = { before, settled, threads: first.threads, timings: first.loadTimings, during, tokens: (await first.generate({ prompt, maxNewTokens: 8 })).tokenIds }
        await first.dispose()
        const second = await load()
        const b = { threads: second.threads, tokens: (await second.generate({ prompt, maxNewTokens: 8 })).tokenIds }
        await second.dispose()
        return { a, b }
      },
      { id: ID, prompt: PROMPTS[0], manifest },
    )
    const { a, b } = out
    assert.equal(a.before?.numThreads, 1)
    assert.match(a.before!.reason, /timed in the background/)
    assert.deepEqual(a.settled, a.threads, 'threadsSettled resolves with the choice the runner then reports')
    assert.deepEqual(a.during, node[0].tokenIds.slice(0, 8), 'the runner served while more threads were timed')
    assert.ok(a.threads && [1, 2].includes(a.threads.numThreads), JSON.stringify(a.threads))
    assert.deepEqual(a.threads.measured?.map((t) => t.threads), [1, 2], 'both thread counts were timed (the page is cross-origin isolated)')
    assert.ok(a.threads.measured!.every((t) => t.msPerToken > 0))
    assert.match(a.threads.reason, /^measured: /)
    assert.equal(b.threads?.numThreads, a.threads.numThreads)
    assert.match(b.threads!.reason, /^stored choice, measured: /)
    assert.deepEqual(a.tokens, node[0].tokenIds.slice(0, 8), 'the kept runner gives Node\'s greedy tokens')
    assert.deepEqual(b.tokens, a.tokens)
    // Load phases are reported, each within the whole.
    const t = a.timings!
    for (const k of ['workerStartMs', 'deviceMs', 'tokenizerMs', 'modelFilesMs', 'sessionMs'] as const) {
      assert.ok(t[k] !== undefined && t[k]! >= 0 && t[k]! <= t.totalMs, `${k} ${t[k]} of ${t.totalMs}`)
    }
  } finally {
    await page.close()
  }
})

test('device check on SwiftShader: its WebGPU adapter lacks shader-f16, so fp16/q4f16 on forced WebGPU are refused with that reason, fp32 is not', async () => {
  const page = await openPage()
  try {
    const out = await page.evaluate(
      async ({ id, manifest }) => {
        const inf = window.webtensorInference
        const report = await inf.deviceReport()
        const refused: Record<string, string> = {}
        for (const dtype of ['fp16', 'q4f16'] as const) {
          try {
            const m = await inf.loadModelInWorker({ modelId: id, device: 'webgpu', dtype, localModelPath: '/models/', wasmPaths: '/ort/', integrity: manifest, cache: false })
            await m.dispose()
            refused[dtype] = 'loaded'
          } catch (e) {
            refused[dtype] = `${(e as Error).name}: ${(e as Error).message}`
          }
        }
        const fp32 = await inf.chooseDevice('webgpu', 'fp32')
        return { report, refused, fp32 }
      },
      { id: ID, manifest },
    )
    const { report, refused, fp32 } = out
    assert.equal(report.webgpu.available, true)
    if (!report.webgpu.available) return
    assert.equal(report.webgpu.fallback, true)
    assert.ok(!report.webgpu.features.includes('shader-f16'), `SwiftShader's features: ${report.webgpu.features.join(', ')}`)
    for (const dtype of ['fp16', 'q4f16']) {
      assert.match(refused[dtype]!, /^DeviceUnavailableError: .*lacks shader-f16/, dtype)
      assert.equal((report.choices as Record<string, { device?: string }>)[dtype]!.device, 'wasm')
    }
    assert.equal(fp32.device, 'webgpu')
  } finally {
    await page.close()
  }
})

test('Chromium WebGPU (forced on SwiftShader): same greedy tokens as Node, score agrees with generate', async () => {
  const page = await openPage()
  const run = await runInPage(page, 'webgpu')
  await page.close()
  assert.equal(run.device, 'webgpu')
  assert.match(run.deviceReason, /forced.*fallback/)
  assertAgrees(run, 'webgpu')
})

test('seeded sampling: the worker samples what Node samples, and each side verifies the other\'s answer in one pass', async () => {
  const sampling = { greedy: false, temperature: 1 } as const
  const cases = PROMPTS.map((prompt, i) => ({ prompt, seed: 7 + i }))
  const runner = await loadModel({ modelId: ID, localModelPath: join(root, 'models') })
  const nodeRuns = []
  for (const c of cases) nodeRuns.push(await runner.generate({ prompt: c.prompt, maxNewTokens: MAX_NEW, ...sampling, seed: c.seed, topK: 0 }))
  const page = await openPage()
  try {
    const inPage = await page.evaluate(
      async ({ id, cases, maxNew, nodeTokens, sampling }) => {
        const m = await window.webtensorInference.loadModelInWorker({ modelId: id, device: 'wasm', localModelPath: '/models/', wasmPaths: '/ort/', cache: false })
        try {
          const out = []
          for (const [i, c] of cases.entries()) {
            const g = await m.generate({ prompt: c.prompt, maxNewTokens: maxNew, ...sampling, seed: c.seed, topK: 0 })
            const check = await m.score({ prompt: c.prompt, tokenIds: nodeTokens[i], sampling: { ...sampling, seed: c.seed, tolerance: 2e-3 } })
            out.push({ tokenIds: g.tokenIds, logprobs: g.logprobs, check })
          }
          return out
        } finally {
          await m.dispose()
        }
      },
      { id: ID, cases, maxNew: MAX_NEW, nodeTokens: nodeRuns.map((g) => g.tokenIds), sampling },
    )
    for (const [i, c] of cases.entries()) {
      assert.deepEqual(inPage[i]!.tokenIds, nodeRuns[i]!.tokenIds, `same sampled tokens for seed ${c.seed}`)
      // The page verifying the Node miner: each token is its sampler's pick, each logprob close.
      nodeRuns[i]!.tokenIds.forEach((t, j) => assert.ok(inPage[i]!.check.candidates![j]!.includes(t), `page replay at ${j}`))
      nodeRuns[i]!.logprobs.forEach((lp, j) => assert.ok(Math.abs(inPage[i]!.check.logprobs[j]! - lp) <= CROSS_BACKEND_TOLERANCE, `page vs Node logprob at ${j}`))
      // Node verifying the page's answer.
      const back = await runner.score({ prompt: c.prompt, tokenIds: inPage[i]!.tokenIds, sampling: { ...sampling, seed: c.seed, tolerance: 2e-3 } })
      inPage[i]!.tokenIds.forEach((t, j) => assert.ok(back.candidates![j]!.includes(t), `Node replay at ${j}`))
    }
  } finally {
    await page.close()
    await runner.dispose()
  }
})

/** The manifest of `dtype`'s files only: every file but the other dtypes' ONNX files. */
function manifestOf(dtype: ModelDtype): ModelIntegrity {
  const others = Object.values(ONNX_FILE_OF_DTYPE).filter((f) => f !== ONNX_FILE_OF_DTYPE[dtype])
  return { files: Object.fromEntries(Object.entries(manifest.files).filter(([f]) => !others.includes(f))) }
}

/** choiceTolerance values tried when a page validator replays Node's sampled answers (the default subnet's is 2e-3; the manifest allows up to 0.1). */
const CHOICE_LADDER = [2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1]

/**
 * Node and a Chromium WASM worker on `dtype`: the worker must give Node's greedy tokens, replay
 * Node's answers to the same tokens, read only its dtype's ONNX file, and stay within the dtype's
 * log-probability tolerance of Node; and a validator in the page, replaying the seeded sampler,
 * must accept Node's sampled answers at the dtype's least choiceTolerance. Prints the largest gap
 * and the least choiceTolerance (of CHOICE_LADDER) that accepted every sampled token.
 */
async function checkDtypeAcrossBackends(dtype: ModelDtype): Promise<void> {
  const pinned = manifestOf(dtype)
  const runner = await loadModel({ modelId: ID, localModelPath: join(root, 'models'), dtype, integrity: pinned })
  const nodeRuns: GenerateResult[] = []
  const nodeSampled: GenerateResult[] = []
  for (const prompt of PROMPTS) nodeRuns.push(await runner.generate({ prompt, maxNewTokens: MAX_NEW, topK: 0 }))
  for (const [i, prompt] of PROMPTS.entries()) nodeSampled.push(await runner.generate({ prompt, maxNewTokens: MAX_NEW, topK: 0, greedy: false, temperature: 1, seed: 7 + i }))
  await runner.dispose()
  const page = await openPage()
  try {
    const before = server.requests.length
    const inPage = await page.evaluate(
      async ({ id, dtype, prompts, maxNew, manifest, nodeTokens, sampledTokens, ladder }) => {
        const m = await window.webtensorInference.loadModelInWorker({ modelId: id, device: 'wasm', dtype, localModelPath: '/models/', wasmPaths: '/ort/', integrity: manifest, cache: false })
        try {
          const out = []
          for (const [i, prompt] of prompts.entries()) {
            const g = await m.generate({ prompt, maxNewTokens: maxNew, topK: 0 })
            const check = await m.score({ prompt, tokenIds: nodeTokens[i] })
            const replays = []
            for (const tolerance of ladder) replays.push(await m.score({ prompt, tokenIds: sampledTokens[i], sampling: { greedy: false, temperature: 1, seed: 7 + i, tolerance } }))
            out.push({ tokenIds: g.tokenIds, logprobs: g.logprobs, check, replays })
          }
          return out
        } finally {
          await m.dispose()
        }
      },
      { id: ID, dtype, prompts: PROMPTS, maxNew: MAX_NEW, manifest: pinned, nodeTokens: nodeRuns.map((g) => g.tokenIds), sampledTokens: nodeSampled.map((g) => g.tokenIds), ladder: CHOICE_LADDER },
    )
    const fetched = server.requests.slice(before).filter((p) => p.startsWith('/models/') && p.endsWith('.onnx'))
    assert.deepEqual(fetched, [`/models/${ID}/${ONNX_FILE_OF_DTYPE[dtype]}`], `${dtype} reads its own ONNX file only`)
    let gap = 0
    let sampledGap = 0
    for (const [i, prompt] of PROMPTS.entries()) {
      assert.deepEqual(inPage[i]!.tokenIds, nodeRuns[i]!.tokenIds, `${dtype} greedy tokens for ${prompt}`)
      nodeRuns[i]!.logprobs.forEach((lp, j) => {
        gap = Math.max(gap, Math.abs(inPage[i]!.logprobs[j]! - lp), Math.abs(inPage[i]!.check.logprobs[j]! - lp))
      })
      assert.deepEqual(inPage[i]!.check.argmax, nodeRuns[i]!.tokenIds, `the page's ${dtype} replay of Node's answer picks the same tokens (${prompt})`)
      nodeSampled[i]!.logprobs.forEach((lp, j) => (sampledGap = Math.max(sampledGap, Math.abs(inPage[i]!.replays[0]!.logprobs[j]! - lp))))
    }
    // A validator in the page checking Node's sampled answers as the subnet's task does: the least
    // choiceTolerance at which every token is among the replayed sampler's picks.
    const acceptsAll = (k: number) => PROMPTS.every((_, i) => nodeSampled[i]!.tokenIds.every((t, j) => inPage[i]!.replays[k]!.candidates![j]!.includes(t)))
    const rejectedAt = CHOICE_LADDER.map((_, k) => PROMPTS.reduce((n, _p, i) => n + nodeSampled[i]!.tokenIds.filter((t, j) => !inPage[i]!.replays[k]!.candidates![j]!.includes(t)).length, 0))
    const needed = CHOICE_LADDER.find((_, k) => acceptsAll(k)) ?? Infinity
    const tolerance = MIN_LOGPROB_TOLERANCE[dtype]
    console.log(
      `${dtype} Node vs Chromium WASM: largest log-probability gap ${gap.toExponential(2)} over ${PROMPTS.length} × ${MAX_NEW} greedy tokens, ${sampledGap.toExponential(2)} over as many sampled ones (tolerance ${tolerance}); ` +
        `sampled tokens rejected per choiceTolerance ${CHOICE_LADDER.map((t, k) => `${t}: ${rejectedAt[k]}`).join(', ')}`,
    )
    assert.ok(gap <= tolerance && sampledGap <= tolerance, `gaps ${gap}, ${sampledGap} within ${tolerance}`)
    assert.ok(needed <= MIN_CHOICE_TOLERANCE[dtype], `every honest sampled token accepted at ${dtype}'s least choiceTolerance ${MIN_CHOICE_TOLERANCE[dtype]} (needed ${needed})`)
  } finally {
    await page.close()
  }
}

test('q8 (ONNX Runtime dynamic uint8): the Chromium WASM worker gives Node\'s greedy tokens, within the q8 tolerance of its log-probabilities, and checks Node\'s answers', () => checkDtypeAcrossBackends('q8'))
test('fp16 (float16 weights and arithmetic, float32 inputs and outputs): the Chromium WASM worker agrees with Node within the fp16 tolerance', () => checkDtypeAcrossBackends('fp16'))
test('q4 (4-bit MatMulNBits blocks): the Chromium WASM worker agrees with Node within the q4 tolerance', () => checkDtypeAcrossBackends('q4'))
test('q4f16 (4-bit MatMulNBits blocks on the float16 graph): the Chromium WASM worker agrees with Node within the q4f16 tolerance', () => checkDtypeAcrossBackends('q4f16'))

test('a quantized or float16 file that does not match the manifest is refused, naming it', async () => {
  const page = await openPage()
  try {
    for (const dtype of ['q8', 'fp16', 'q4'] as const) {
      const file = ONNX_FILE_OF_DTYPE[dtype]
      const wrong: ModelIntegrity = { files: { ...manifest.files, [file]: { ...manifest.files[file]!, sha256: '0'.repeat(64) } } }
      const err = await page.evaluate(async ({ id, dtype, wrong }) => {
        try {
          await window.webtensorInference.loadModelInWorker({ modelId: id, device: 'wasm', dtype, localModelPath: '/models/', wasmPaths: '/ort/', integrity: wrong, cache: false })
          return null
        } catch (e) {
          const x = e as Error & { code?: string; file?: string }
          return { name: x.name, file: x.file }
        }
      }, { id: ID, dtype, wrong })
      assert.deepEqual(err, { name: 'ModelIntegrityError', file }, dtype)
    }
  } finally {
    await page.close()
  }
})

test('in the browser, a file that does not match the manifest is refused, naming the file', async () => {
  const page = await openPage()
  const wrong: ModelIntegrity = { files: { ...manifest.files, 'tokenizer.json': { ...manifest.files['tokenizer.json'], sha256: 'f'.repeat(64) } } }
  const err = await page.evaluate(async ({ id, wrong }) => {
    try {
      await window.webtensorInference.loadModelInWorker({ modelId: id, device: 'wasm', localModelPath: '/models/', wasmPaths: '/ort/', integrity: wrong, cache: false })
      return null
    } catch (e) {
      const x = e as Error & { code?: string; file?: string }
      return { name: x.name, code: x.code, file: x.file, message: x.message }
    }
  }, { id: ID, wrong })
  await page.close()
  assert.ok(err, 'load must fail')
  assert.equal(err.name, 'ModelIntegrityError')
  assert.equal(err.code, 'model_integrity')
  assert.equal(err.file, 'tokenizer.json')
  assert.match(err.message, /tokenizer\.json/)
})

test('with cache on, a second load in the same profile reads no model file from the server', async () => {
  const page = await openPage()
  const load = () =>
    page.evaluate(async ({ id, manifest }) => {
      const m = await window.webtensorInference.loadModelInWorker({ modelId: id, device: 'wasm', localModelPath: '/models/', wasmPaths: '/ort/', integrity: manifest, cache: true })
      const r = await m.generate({ prompt: 'Hello', maxNewTokens: 3 })
      await m.dispose()
      return r.tokenIds
    }, { id: ID, manifest })
  await page.evaluate(() => window.webtensorInference.clearModelCache())
  const before = server.requests.length
  const first = await load()
  const modelFetches = () => server.requests.slice(before).filter((p) => p.startsWith('/models/'))
  assert.ok(modelFetches().includes(`/models/${ID}/onnx/model.onnx`))
  const mark = server.requests.length
  const second = await load()
  assert.deepEqual(second, first)
  assert.deepEqual(server.requests.slice(mark).filter((p) => p.startsWith('/models/')), [], 'second load came from the cache (OPFS)')
  await page.close()
})

test('embeddings from the tiny BERT in a Chromium WASM worker match Node', async () => {
  const texts = ['a miner', 'a validator checks the miner', 'short']
  const nodeBert = await loadModel({ modelId: 'webtensor/tiny-bert', localModelPath: join(root, 'models') })
  const expected = await nodeBert.embed!(texts)
  await nodeBert.dispose()
  const page = await openPage()
  const got = await page.evaluate(async (texts) => {
    const m = await window.webtensorInference.loadModelInWorker({ modelId: 'webtensor/tiny-bert', device: 'wasm', localModelPath: '/models/', wasmPaths: '/ort/', cache: false })
    try {
      return { hasEmbed: typeof m.embed === 'function', vectors: await m.embed!(texts) }
    } finally {
      await m.dispose()
    }
  }, texts)
  await page.close()
  assert.equal(got.hasEmbed, true)
  got.vectors.forEach((v, i) => v.forEach((x, d) => assert.ok(Math.abs(x - expected[i][d]) < 1e-4, `text ${i} dim ${d}`)))
})

test('a model from a remote host (Hugging Face layout) downloads with progress and passes the manifest', async () => {
  const page = await openPage()
  const before = server.requests.length
  const out = await page.evaluate(async ({ id, manifest, host }) => {
    const progress: LoadProgress[] = []
    const m = await window.webtensorInference.loadModelInWorker({ modelId: id, device: 'wasm', remoteHost: host, wasmPaths: '/ort/', integrity: manifest, cache: false, onProgress: (p) => progress.push(p) })
    const r = await m.generate({ prompt: 'Hello', maxNewTokens: 4 })
    await m.dispose()
    return { tokenIds: r.tokenIds, statuses: [...new Set(progress.map((p) => p.status))] }
  }, { id: ID, manifest, host: `${server.url}/hf` })
  await page.close()
  assert.deepEqual(out.tokenIds, node[2].tokenIds.slice(0, 4)) // node[2] is the greedy run for 'Hello'
  assert.deepEqual(out.statuses, ['download', 'ready'])
  assert.ok(server.requests.slice(before).includes(`/hf/${ID}/resolve/main/onnx/model.onnx`))
})

test('cancel from the page stops a generate running in the worker', async () => {
  const page = await openPage()
  const out = await page.evaluate(async (id) => {
    const m = await window.webtensorInference.loadModelInWorker({ modelId: id, device: 'wasm', localModelPath: '/models/', wasmPaths: '/ort/', cache: false })
    try {
      const running = m.generate({ prompt: 'Long', maxNewTokens: 500 })
      setTimeout(() => m.cancel(), 30)
      const name = await running.then(() => 'finished', (e: Error) => e.name)
      const after = await m.generate({ prompt: 'Short', maxNewTokens: 2 })
      return { name, after: after.tokenIds.length }
    } finally {
      await m.dispose()
    }
  }, ID)
  await page.close()
  assert.equal(out.name, 'InferenceCancelledError')
  assert.ok(out.after >= 1, 'the runner works after a cancel')
})

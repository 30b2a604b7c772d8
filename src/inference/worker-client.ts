/** The page side of the worker runner. */
import * as Comlink from 'comlink'
import { ModelLoadError } from './errors.ts'
import { parseThreadChoice, pickThreads, singleThreadReason, threadCandidates, threadChoiceKey, type ThreadChoice, type ThreadTiming } from './thread-choice.ts'
import type { LoadOptions, ModelRunner } from './types.ts'
import { unwrap, type RunnerWorkerApi } from './worker-protocol.ts'

/**
 * Loads a model in a dedicated module Worker and returns a runner whose calls go to it, so the
 * page never blocks on inference. `onProgress` is called on the page. With `numThreads: 'auto'`
 * the WASM thread count is chosen by timing (see `thread-choice.ts`); `runner.threads` says which and why.
 * Example: `const m = await loadModelInWorker({ modelId: 'webtensor/tiny-gpt2', localModelPath: '/models/', wasmPaths: '/ort/' })`.
 */
export async function loadModelInWorker(options: LoadOptions): Promise<ModelRunner> {
  if (options.numThreads !== 'auto') {
    const reason = options.numThreads === undefined ? 'default' : 'set by configuration'
    return withThreads(await loadOne(options), { numThreads: options.numThreads ?? 1, reason })
  }
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1
  const single = singleThreadReason(isolated, cores)
  if (single) return withThreads(await loadOne({ ...options, numThreads: 1 }), { numThreads: 1, reason: single })
  const candidates = threadCandidates(isolated, cores)
  const key = threadChoiceKey(options.modelId, options.dtype ?? 'fp32', cores)
  const stored = parseThreadChoice(readStored(key), candidates)
  if (stored) return withThreads(await loadOne({ ...options, numThreads: stored.numThreads }), { ...stored, reason: `stored choice, ${stored.reason}` })
  const first = await loadOne({ ...options, numThreads: 1 })
  if (first.device !== 'wasm') return withThreads(first, { numThreads: 1, reason: `${first.device}: WASM threads do not apply` })
  const timings: ThreadTiming[] = []
  const runners = new Map<number, ModelRunner>([[1, first]])
  try {
    timings.push({ threads: 1, msPerToken: await timeRunner(first) })
    for (const threads of candidates.filter((t) => t !== 1)) {
      // The files are cached and verified by now: this load reads them again, downloads nothing.
      const other = await loadOne({ ...options, numThreads: threads, onProgress: undefined })
      runners.set(threads, other)
      timings.push({ threads, msPerToken: await timeRunner(other) })
    }
  } catch (e) {
    for (const [t, r] of runners) if (t !== 1) await r.dispose().catch(() => undefined)
    if (options.signal?.aborted) {
      await first.dispose().catch(() => undefined)
      throw e
    }
    return withThreads(first, { numThreads: 1, reason: `timing more threads failed (${(e as Error).message}): 1 thread`, measured: timings })
  }
  const choice = pickThreads(timings)
  writeStored(key, JSON.stringify(choice))
  for (const [t, r] of runners) if (t !== choice.numThreads) await r.dispose().catch(() => undefined)
  return withThreads(runners.get(choice.numThreads) ?? first, choice)
}

/** Milliseconds per token of short greedy generates (median of 3 after a warm-up); for encoders, per embedded text. */
async function timeRunner(r: ModelRunner): Promise<number> {
  const runs: number[] = []
  const prompt = 'the network pays miners for answers that validators can check'
  if (r.embed) {
    const texts = [prompt, prompt, prompt, prompt]
    await r.embed(texts)
    for (let i = 0; i < 3; i++) {
      const t = performance.now()
      await r.embed(texts)
      runs.push((performance.now() - t) / texts.length)
    }
  } else {
    await r.generate({ prompt, maxNewTokens: 2 })
    for (let i = 0; i < 3; i++) {
      const t = performance.now()
      const out = await r.generate({ prompt, maxNewTokens: 8 })
      runs.push((performance.now() - t) / Math.max(1, out.tokenIds.length))
    }
  }
  return runs.sort((a, b) => a - b)[1]!
}

function readStored(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(key) ?? null
  } catch {
    return null // storage blocked: measure again
  }
}

function writeStored(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value)
  } catch {
    // Quota or blocked storage: the next load measures again.
  }
}

const withThreads = (r: ModelRunner, threads: ThreadChoice): ModelRunner => Object.assign(r, { threads })

async function loadOne(options: LoadOptions): Promise<ModelRunner> {
  const started = performance.now()
  // This exact `new Worker(new URL(...), { type: 'module' })` form lets Vite bundle the worker.
  const worker = new Worker(new URL('./runner.worker.ts', import.meta.url), { type: 'module', name: `webtensor-${options.modelId}` })
  const remote = Comlink.wrap<RunnerWorkerApi>(worker)
  const { onProgress, signal, ...rest } = options
  const close = () => {
    remote[Comlink.releaseProxy]()
    worker.terminate()
  }
  let info
  const abort = () => void remote.abortLoad()
  try {
    if (signal?.aborted) throw new ModelLoadError(`loading ${options.modelId} cancelled`, { code: 'cancelled' })
    signal?.addEventListener('abort', abort)
    info = unwrap(await remote.load(rest, onProgress ? Comlink.proxy(onProgress) : undefined))
  } catch (e) {
    close()
    throw e
  } finally {
    signal?.removeEventListener('abort', abort)
  }
  const totalMs = performance.now() - started
  const inWorker = info.loadTimings
  // What the worker did not see of the page's wait is its start-up (script, module evaluation) and messaging.
  const loadTimings = { ...inWorker, totalMs, ...(inWorker ? { workerStartMs: Math.max(0, totalMs - inWorker.totalMs) } : {}) }
  let disposed = false
  const runner: ModelRunner = {
    modelId: info.modelId,
    device: info.device,
    deviceReason: info.deviceReason,
    loadTimings,
    generate: async (r) => unwrap(await remote.generate(r)),
    score: async (r) => unwrap(await remote.score(r)),
    cancel: () => void remote.cancel(),
    dispose: async () => {
      if (disposed) return
      disposed = true
      try {
        unwrap(await remote.dispose())
      } finally {
        close()
      }
    },
  }
  if (info.hasEmbed) runner.embed = async (texts) => unwrap(await remote.embed(texts))
  return runner
}

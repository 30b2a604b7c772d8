/** The page side of the worker runner. */
import * as Comlink from 'comlink'
import { ModelLoadError } from './errors.ts'
import { parseThreadChoice, pickThreads, singleThreadReason, threadCandidates, threadChoiceKey, type ThreadChoice, type ThreadTiming } from './thread-choice.ts'
import type { LoadOptions, ModelRunner } from './types.ts'
import { unwrap, type RunnerWorkerApi } from './worker-protocol.ts'

/**
 * Loads a model in a dedicated module Worker and returns a runner whose calls go to it, so the
 * page never blocks on inference. `onProgress` is called on the page. With `numThreads: 'auto'`
 * the WASM thread count is chosen by timing (see `thread-choice.ts`): on a first use the runner
 * is returned with 1 thread as soon as that is loaded and timed, and the other counts are loaded
 * (from the verified cache) and timed in the background; `runner.threads` says which and why,
 * `runner.threadsSettled` resolves with the final choice.
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
  // One thread is timed now, while nothing else uses the worker (later, served requests would queue
  // ahead of the timing and make one thread look slower than it is).
  let one: ThreadTiming
  try {
    one = { threads: 1, msPerToken: await timeRunner(first) }
  } catch (e) {
    if (options.signal?.aborted) {
      await first.dispose().catch(() => undefined)
      throw e
    }
    return withThreads(first, { numThreads: 1, reason: `timing failed (${(e as Error).message}): 1 thread` })
  }
  const others = candidates.filter((t) => t !== 1)
  return switchingRunner(first, { numThreads: 1, reason: `1 thread while ${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} timed in the background` }, (r) =>
    timeOthers(r, options, others, one, key),
  )
}

/**
 * Loads and times each of `others` (the files are cached and verified by now: nothing is
 * downloaded); picks, stores, and switches. The first runner may be serving meanwhile: that
 * contention can only make more threads look slower, so the choice errs toward 1 thread.
 */
async function timeOthers(r: Switching, options: LoadOptions, others: number[], one: ThreadTiming, key: string): Promise<ThreadChoice> {
  const timings = [one]
  const runners = new Map<number, ModelRunner>()
  /** Stays on 1 thread: the runners loaded for timing are dropped. */
  const keepOne = async (reason: string): Promise<ThreadChoice> => {
    for (const other of runners.values()) await other.dispose().catch(() => undefined)
    const choice = { numThreads: 1, reason, measured: timings }
    r.settle(null, choice)
    return choice
  }
  const stopped = 'stopped before more threads were timed: 1 thread'
  try {
    for (const threads of others) {
      const other = await loadOne({ ...options, numThreads: threads, onProgress: undefined, signal: r.signal })
      runners.set(threads, other)
      if (r.signal.aborted) return await keepOne(stopped)
      timings.push({ threads, msPerToken: await timeRunner(other) })
    }
  } catch (e) {
    return keepOne(r.signal.aborted ? stopped : `timing more threads failed (${(e as Error).message}): 1 thread`)
  }
  if (r.signal.aborted) return keepOne(stopped)
  const choice = pickThreads(timings)
  writeStored(key, JSON.stringify(choice))
  for (const [t, other] of runners) if (t !== choice.numThreads) await other.dispose().catch(() => undefined)
  r.settle(runners.get(choice.numThreads) ?? null, choice)
  return choice
}

/** What the background timing sees of the runner it may switch. */
interface Switching {
  /** Aborted when the runner is disposed. */
  readonly signal: AbortSignal
  /** Makes `next` (when not null) the runner that serves from now on; the old one is disposed once its calls finished. */
  settle(next: ModelRunner | null, choice: ThreadChoice): void
}

/**
 * A runner that forwards to `initial` until the background work hands it another: calls already
 * running finish on the old worker, which is then disposed; new calls go to the new one.
 */
function switchingRunner(initial: ModelRunner, threads: ThreadChoice, background: (r: Switching) => Promise<ThreadChoice>): ModelRunner {
  let current = initial
  let choice = threads
  const running = new Map<ModelRunner, number>()
  const draining = new Set<ModelRunner>()
  const controller = new AbortController()
  let disposed = false
  const retire = (r: ModelRunner) => {
    if ((running.get(r) ?? 0) > 0) return
    draining.delete(r)
    void r.dispose().catch(() => undefined)
  }
  const call = async <T>(f: (r: ModelRunner) => Promise<T>): Promise<T> => {
    const r = current
    running.set(r, (running.get(r) ?? 0) + 1)
    try {
      return await f(r)
    } finally {
      running.set(r, running.get(r)! - 1)
      if (draining.has(r)) retire(r)
    }
  }
  const settled = background({
    signal: controller.signal,
    settle: (next, c) => {
      choice = c
      if (!next || next === current) return
      if (disposed) {
        void next.dispose().catch(() => undefined)
        return
      }
      const old = current
      current = next
      draining.add(old)
      retire(old)
    },
  })
  const runner: ModelRunner = {
    modelId: initial.modelId,
    device: initial.device,
    deviceReason: initial.deviceReason,
    ...(initial.loadTimings ? { loadTimings: initial.loadTimings } : {}),
    get threads() {
      return choice
    },
    threadsSettled: settled,
    generate: (req) => call((r) => r.generate(req)),
    score: (req) => call((r) => r.score(req)),
    cancel: () => {
      current.cancel()
      for (const r of draining) r.cancel()
    },
    dispose: async () => {
      if (disposed) return
      disposed = true
      controller.abort()
      await settled.catch(() => undefined)
      await Promise.all([current, ...draining].map((r) => r.dispose().catch(() => undefined)))
    },
  }
  if (initial.embed) runner.embed = (texts) => call((r) => r.embed!(texts))
  return runner
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

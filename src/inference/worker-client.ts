/** The page side of the worker runner. */
import * as Comlink from 'comlink'
import { ModelLoadError } from './errors.ts'
import type { LoadOptions, ModelRunner } from './types.ts'
import { unwrap, type RunnerWorkerApi } from './worker-protocol.ts'

/**
 * Loads a model in a dedicated module Worker and returns a runner whose calls go to it, so the
 * page never blocks on inference. `onProgress` is called on the page.
 * Example: `const m = await loadModelInWorker({ modelId: 'webtensor/tiny-gpt2', localModelPath: '/models/', wasmPaths: '/ort/' })`.
 */
export async function loadModelInWorker(options: LoadOptions): Promise<ModelRunner> {
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

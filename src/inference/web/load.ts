/** Loading a model in a page or worker: onnxruntime-web on WebGPU or WASM. */
import { AutoModel, AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers'
import { chooseDevice } from '../device.ts'
import { WebtensorError } from '../../errors.ts'
import { ModelLoadError } from '../errors.ts'
import { ProgressTracker } from '../progress.ts'
import { createRunner, type ModelLike, type TokenizerLike } from '../runner-core.ts'
import type { Device, LoadOptions, ModelRunner } from '../types.ts'
import { fetchModelFile, registerContext, SYNTHETIC_HOST } from './model-fetch.ts'
import { startOrtRuntime } from './ort-warmup.ts'

let loading: Promise<unknown> = Promise.resolve()

function configureEnvironment(options: LoadOptions, device: Device): void {
  // All model bytes come through fetchModelFile (integrity, progress, our cache), so
  // transformers.js' own caches and local lookups are off.
  env.allowLocalModels = false
  env.allowRemoteModels = true
  env.remoteHost = `${SYNTHETIC_HOST}/`
  env.remotePathTemplate = '{model}/resolve/{revision}/'
  env.useBrowserCache = false
  env.useFSCache = false
  env.useCustomCache = false
  env.fetch = fetchModelFile
  const wasm = env.backends.onnx.wasm
  if (wasm) {
    if (options.wasmPaths) {
      const base = new URL(options.wasmPaths, globalThis.location?.href).href
      // WebGPU needs the asyncify build; plain WASM inference can use the build without asyncify
      // instrumentation. (One build per JS context: the first session fixes it.)
      const flavor = (options.wasmFlavor ?? 'auto') === 'auto' ? (device === 'webgpu' ? 'asyncify' : 'plain') : options.wasmFlavor
      const stem = flavor === 'plain' ? 'ort-wasm-simd-threaded' : 'ort-wasm-simd-threaded.asyncify'
      wasm.wasmPaths = { mjs: `${base}${stem}.mjs`, wasm: `${base}${stem}.wasm` }
    }
    // One thread by default: on two cores a second thread slowed per-token decoding here.
    wasm.numThreads = typeof options.numThreads === 'number' ? options.numThreads : 1
  }
  // `streaming` leaves the fetch to onnxruntime-web (instantiateStreaming from the URL), so the
  // browser can keep the compiled module with its HTTP cache entry; transformers.js' Cache API copy
  // hands over bytes instead, compiled again on every load.
  env.useWasmCache = options.cache !== false && options.wasmLoading === 'cache-api'
}

/** Loads `options.modelId` in this page/worker on the chosen device. */
export async function loadModelWeb(options: LoadOptions): Promise<ModelRunner> {
  // transformers.js' env is global: loads are serialised so each sees its own settings.
  const run = loading.then(() => load(options))
  loading = run.catch(() => undefined)
  return run
}

async function load(options: LoadOptions): Promise<ModelRunner> {
  const started = performance.now()
  const { device, reason } = await chooseDevice(options.device ?? 'auto', options.dtype ?? 'fp32')
  const deviceMs = performance.now() - started
  configureEnvironment(options, device)
  // The WASM runtime starts while the files arrive (WebGPU sets up its device in its own session;
  // `cache-api` loading hands onnxruntime the wasm bytes inside transformers.js' first session).
  const runtime = device === 'wasm' && options.wasmLoading !== 'cache-api' ? startOrtRuntime() : null
  let lastOnnxByte = 0
  const progress = new ProgressTracker(options.onProgress, options.integrity)
  const ctx = {
    modelId: options.modelId,
    localModelPath: options.localModelPath,
    remoteHost: options.remoteHost,
    allowRemote: options.allowRemote,
    cache: options.cache,
    integrity: options.integrity,
    signal: options.signal,
    onFile: (file: string, loaded: number, total: number, status: 'download' | 'load', cached?: 'trusted' | 'rehashed') => {
      if (file.endsWith('.onnx') || file.endsWith('.onnx_data')) lastOnnxByte = performance.now()
      progress.file(file, loaded, total, status, cached)
    },
    failure: undefined as Error | undefined,
    cacheWrites: [] as Promise<void>[],
  }
  const release = registerContext(ctx)
  try {
    const config = (await (await fetchModelFile(`${SYNTHETIC_HOST}/${options.modelId}/resolve/main/config.json`)).json().catch(() => {
      throw new ModelLoadError(`model ${options.modelId}: config.json not found in any source`, { code: 'model_not_found' })
    })) as { model_type?: string }
    const kind = config.model_type === 'bert' ? 'encoder' : 'causal-lm'
    const pretrained = {
      device,
      dtype: options.dtype ?? 'fp32',
      ...(options.graphOptimization ? { session_options: { graphOptimizationLevel: options.graphOptimization } } : {}),
    }
    // The tokenizer's files are read and parsed while the model's are: neither waits for the other.
    const modelStart = performance.now()
    let tokenizerEnd = modelStart
    const tokenizerLoad = AutoTokenizer.from_pretrained(options.modelId).then((t) => {
      tokenizerEnd = performance.now()
      return t
    })
    const modelLoad = kind === 'encoder' ? AutoModel.from_pretrained(options.modelId, pretrained) : AutoModelForCausalLM.from_pretrained(options.modelId, pretrained)
    const [tokenizerSettled, modelSettled] = await Promise.allSettled([tokenizerLoad, modelLoad])
    if (modelSettled.status === 'rejected') throw modelSettled.reason
    const model = modelSettled.value
    if (tokenizerSettled.status === 'rejected') {
      await model.dispose()
      throw tokenizerSettled.reason
    }
    const tokenizer = tokenizerSettled.value
    if (options.signal?.aborted) {
      await model.dispose()
      throw new ModelLoadError(`loading ${options.modelId} cancelled`, { code: 'cancelled' })
    }
    // Files verified and handed over were written to the cache while the session was created.
    const [early] = await Promise.all([runtime, Promise.all(ctx.cacheWrites)])
    progress.ready()
    const done = performance.now()
    const filesEnd = Math.max(lastOnnxByte, modelStart)
    const loadTimings = {
      totalMs: done - started,
      deviceMs,
      tokenizerMs: tokenizerEnd - modelStart,
      modelFilesMs: filesEnd - modelStart,
      sessionMs: done - filesEnd,
      ...(early && 'ms' in early ? { runtimeStartMs: early.ms } : {}),
    }
    return createRunner({
      loadTimings,
      modelId: options.modelId,
      device,
      deviceReason: reason,
      kind,
      tokenizer: tokenizer as unknown as TokenizerLike,
      model: model as unknown as ModelLike,
    })
  } catch (e) {
    if (ctx.failure) throw ctx.failure
    if (options.signal?.aborted) throw new ModelLoadError(`loading ${options.modelId} cancelled`, { code: 'cancelled', cause: e })
    if (e instanceof WebtensorError) throw e
    throw new ModelLoadError(`loading ${options.modelId} on ${device} failed: ${(e as Error).message}`, { cause: e })
  } finally {
    release()
  }
}

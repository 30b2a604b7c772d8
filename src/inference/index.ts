/**
 * Inference layer: load a model (Hugging Face layout, ONNX via transformers.js) and run it — in
 * Node on onnxruntime-node, in the browser inside a Web Worker on WebGPU or WASM — with outputs a
 * validator can check cheaply (`score` recomputes what `generate` reported).
 *
 * Example (Node):
 *   await ensureTestModels('models')
 *   const m = await loadModel({ modelId: 'webtensor/tiny-gpt2', localModelPath: 'models' })
 *   const r = await m.generate({ prompt: 'Hello', maxNewTokens: 8 })
 */
import type { ModelIntegrity } from './types.ts'
import type { NodeLoadOptions } from './node/load.ts'
import type { TestModelKind } from './node/test-models.ts'
import type { LoadOptions, ModelRunner } from './types.ts'

export type {
  ModelDtype,
  Device,
  GenerateRequest,
  GenerateResult,
  LoadOptions,
  LoadProgress,
  LoadTimings,
  ThreadChoice,
  ThreadTiming,
  ModelIntegrity,
  ModelRunner,
  ModelSourceOptions,
  ScoreRequest,
  ScoreResult,
} from './types.ts'
export type { NodeLoadOptions } from './node/load.ts'
export type { TestModelKind } from './node/test-models.ts'
export { MODEL_DTYPES } from './types.ts'
export { ONNX_FILE_OF_DTYPE } from './model-files.ts'
export { MIN_CHOICE_TOLERANCE, MIN_LOGPROB_TOLERANCE } from './dtype-tolerance.ts'
export {
  DeviceUnavailableError,
  InferenceCancelledError,
  InferenceError,
  InferenceRequestError,
  ModelIntegrityError,
  ModelLoadError,
} from './errors.ts'
export { sha256Hex, verifyFileBytes, sameIntegrity } from './integrity.ts'
export { chooseDevice, deviceReport, F16_DTYPES, type DeviceReport } from './device.ts'
export { loadModelInWorker } from './worker-client.ts'

/**
 * Deletes the browser's cached model files (OPFS and the Cache API), partial downloads included;
 * a no-op in Node.
 */
export async function clearModelCache(): Promise<void> {
  if (isNode) return
  const { clearModelCache: clear } = await import('./web/model-fetch.ts')
  await clear()
}

const isNode = typeof process !== 'undefined' && process.release?.name === 'node'

// Node-only modules are imported through a computed specifier so browser bundlers (Vite) never
// pull node:fs and friends into a page or worker bundle.
const nodeModule = <T>(name: string): Promise<T> => import(/* @vite-ignore */ `./node/${name}.ts`) as Promise<T>

/**
 * Loads a model for in-process inference: in Node on onnxruntime-node (device `cpu`), in a worker
 * (or page) on WebGPU or WASM. In a page prefer `loadModelInWorker`, which keeps the page responsive.
 */
export async function loadModel(options: LoadOptions | NodeLoadOptions): Promise<ModelRunner> {
  if (isNode) {
    const { loadModelNode } = await nodeModule<typeof import('./node/load.ts')>('load')
    return loadModelNode(options)
  }
  const { loadModelWeb } = await import('./web/load.ts')
  return loadModelWeb(options)
}

/**
 * Writes a seeded test model into `outDir` (Node); same kind and seed → byte-identical files.
 * Example: `await makeTestModel('tiny-gpt2', 'models/webtensor/tiny-gpt2', { seed: 1 })`.
 */
export async function makeTestModel(kind: TestModelKind, outDir: string, options?: { seed?: number }): Promise<ModelIntegrity> {
  const { makeTestModel: make } = await nodeModule<typeof import('./node/test-models.ts')>('test-models')
  return make(kind, outDir, options)
}

/**
 * Makes `<modelsDir>/webtensor/tiny-gpt2` and `.../tiny-bert` if missing or different (Node);
 * returns their manifests by model id. Cheap when they are already there.
 */
export async function ensureTestModels(modelsDir: string): Promise<Record<string, ModelIntegrity>> {
  const { ensureTestModels: ensure } = await nodeModule<typeof import('./node/test-models.ts')>('test-models')
  return ensure(modelsDir)
}

/** The manifest (size and sha256 of every file) of a model folder (Node). */
export async function computeIntegrity(dir: string): Promise<ModelIntegrity> {
  const { computeIntegrity: compute } = await nodeModule<typeof import('./node/integrity.ts')>('integrity')
  return compute(dir)
}

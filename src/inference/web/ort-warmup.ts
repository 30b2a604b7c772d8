/**
 * Starts onnxruntime-web's WASM runtime (fetch and compile the ~14 MB module, instantiate it, start
 * its threads) while the model's files are still being fetched and checked, instead of after the
 * last byte: a one-node model is opened and released. On a first visit (nothing compiled in the
 * HTTP cache) that compile is a large part of what the visitor waits for after the download.
 * The runtime reads `env.backends.onnx.wasm` (paths, threads) once, so this runs after the loader
 * configured it; transformers.js' own session then finds the runtime up.
 */
import * as ort from 'onnxruntime-web/webgpu'
import { WARMUP_MODEL_BASE64 } from './warmup-model.ts'

const warmupModel = (): Uint8Array => Uint8Array.from(atob(WARMUP_MODEL_BASE64), (c) => c.charCodeAt(0))

/**
 * Opens and releases the one-node model on the WASM backend; resolves with the time it took, or
 * with the error (never rejects: the real session creation reports a broken runtime itself).
 * Example: `const early = startOrtRuntime(); …fetch files…; await early`.
 */
export async function startOrtRuntime(): Promise<{ ms: number } | { error: Error }> {
  const t = performance.now()
  try {
    const session = await ort.InferenceSession.create(warmupModel(), { executionProviders: ['wasm'] })
    await session.release()
    return { ms: performance.now() - t }
  } catch (e) {
    return { error: e as Error }
  }
}

/** Which files make up a model in the Hugging Face layout transformers.js reads. */
import { ModelIntegrityError } from './errors.ts'
import type { ModelDtype, ModelIntegrity } from './types.ts'

/** The files fetched when no manifest is given (fp32 ONNX, tokenizer, configs). */
export const DEFAULT_MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'] as const

/** The ONNX file of each dtype, as transformers.js names them (`dtype` → `onnx/model{suffix}.onnx`). */
export const ONNX_FILE_OF_DTYPE: Readonly<Record<ModelDtype, string>> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
  q4: 'onnx/model_q4.onnx',
  q4f16: 'onnx/model_q4f16.onnx',
}

/** Files that may be absent without failing the load. */
export const OPTIONAL_MODEL_FILES = ['generation_config.json'] as const

/** A manifest path must stay inside the model folder: relative, `/`-separated, no `..` or empty parts. */
export function isSafeModelPath(path: string): boolean {
  return path.length > 0 && !path.startsWith('/') && !path.includes('\\') && path.split('/').every((p) => p !== '' && p !== '.' && p !== '..')
}

/** The list of files to fetch: the manifest's when pinned, else the defaults (with `dtype`'s ONNX file). Throws on unsafe paths. */
export function modelFileList(integrity?: ModelIntegrity, dtype: ModelDtype = 'fp32'): string[] {
  if (!integrity) return DEFAULT_MODEL_FILES.map((f) => (f === 'onnx/model.onnx' ? ONNX_FILE_OF_DTYPE[dtype] : f))
  const files = Object.keys(integrity.files).sort()
  const bad = files.find((f) => !isSafeModelPath(f))
  if (bad !== undefined) throw new ModelIntegrityError(bad, 'unsafe path in the integrity manifest')
  return files
}

/** URL of a file on a Hugging Face-style host: `<host>/<modelId>/resolve/main/<file>`. */
export function remoteFileUrl(remoteHost: string, modelId: string, file: string): string {
  return `${remoteHost.replace(/\/+$/, '')}/${modelId}/resolve/main/${file}`
}

/** Model ids are `owner/name` with safe characters only, so they can name folders and cache keys. */
export function isValidModelId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/.test(id) && !id.includes('..')
}

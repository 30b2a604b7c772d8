/**
 * What crosses the worker boundary. Comlink keeps only `name`/`message` of thrown errors, so the
 * worker returns errors as data and the page rebuilds the typed error (code, file) from it.
 */
import { WebtensorError } from '../errors.ts'
import { DeviceUnavailableError, InferenceCancelledError, InferenceError, InferenceRequestError, ModelIntegrityError, ModelLoadError } from './errors.ts'
import type { Device, GenerateRequest, GenerateResult, LoadOptions, LoadProgress, LoadTimings, ScoreRequest, ScoreResult } from './types.ts'

export interface SerializedError {
  name: string
  message: string
  code?: string
  file?: string
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: SerializedError }

export interface WorkerModelInfo {
  modelId: string
  device: Device
  deviceReason: string
  hasEmbed: boolean
  /** The worker's own phases; `totalMs` is the worker's time, from its `load` call. */
  loadTimings?: LoadTimings
}

/** The API the worker exposes through comlink. */
export interface RunnerWorkerApi {
  load(options: Omit<LoadOptions, 'onProgress' | 'signal'>, onProgress?: (p: LoadProgress) => void): Promise<Outcome<WorkerModelInfo>>
  /** Aborts the load in progress (the page's `LoadOptions.signal`, which cannot cross to the worker). */
  abortLoad(): void
  generate(r: GenerateRequest): Promise<Outcome<GenerateResult>>
  score(r: ScoreRequest): Promise<Outcome<ScoreResult>>
  embed(texts: string[]): Promise<Outcome<number[][]>>
  cancel(): void
  dispose(): Promise<Outcome<void>>
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const out: SerializedError = { name: e.name, message: e.message }
    if (e instanceof WebtensorError) out.code = e.code
    if (e instanceof ModelIntegrityError) out.file = e.file
    return out
  }
  return { name: 'Error', message: String(e) }
}

/** Rebuilds the typed error the worker threw, keeping its message, code and file. */
export function deserializeError(s: SerializedError): Error {
  let e: Error
  switch (s.name) {
    case 'ModelIntegrityError':
      e = new ModelIntegrityError(s.file ?? '?', '')
      break
    case 'InferenceCancelledError':
      e = new InferenceCancelledError()
      break
    case 'DeviceUnavailableError':
      e = new DeviceUnavailableError(s.message)
      break
    case 'ModelLoadError':
      e = new ModelLoadError(s.message, { code: s.code })
      break
    case 'InferenceRequestError':
      e = new InferenceRequestError(s.message)
      break
    default:
      e = s.code ? new InferenceError(s.message, { code: s.code }) : new Error(s.message)
  }
  e.message = s.message
  return e
}

export async function settle<T>(task: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await task() }
  } catch (e) {
    return { ok: false, error: serializeError(e) }
  }
}

export function unwrap<T>(o: Outcome<T>): T {
  if (o.ok) return o.value
  throw deserializeError(o.error)
}

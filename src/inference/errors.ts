import { WebtensorError } from '../errors.ts'

/** Base of every error the inference layer throws on purpose. */
export class InferenceError extends WebtensorError {
  override name = 'InferenceError'
}

/** A model file does not match the pinned manifest (size or sha256), or is missing from it. */
export class ModelIntegrityError extends InferenceError {
  override name = 'ModelIntegrityError'
  /** Path of the offending file inside the model folder, e.g. `onnx/model.onnx`. */
  readonly file: string
  constructor(file: string, message: string) {
    super(`model file ${file}: ${message}`, { code: 'model_integrity' })
    this.file = file
  }
}

/** A model could not be found or loaded from any configured source. */
export class ModelLoadError extends InferenceError {
  override name = 'ModelLoadError'
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { code: options.code ?? 'model_load', cause: options.cause })
  }
}

/** A requested device is not usable here (e.g. WebGPU forced where `navigator.gpu` is absent). */
export class DeviceUnavailableError extends InferenceError {
  override name = 'DeviceUnavailableError'
  constructor(message: string) {
    super(message, { code: 'device_unavailable' })
  }
}

/** The request was cancelled through `ModelRunner.cancel()`. */
export class InferenceCancelledError extends InferenceError {
  override name = 'InferenceCancelledError'
  constructor() {
    super('inference cancelled', { code: 'cancelled' })
  }
}

/** A request was malformed (empty prompt, negative token count, token id outside the vocabulary...). */
export class InferenceRequestError extends InferenceError {
  override name = 'InferenceRequestError'
  constructor(message: string) {
    super(message, { code: 'bad_request' })
  }
}

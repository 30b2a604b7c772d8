import { InferenceError } from '../errors.ts'
import type { LoadOptions, ModelRunner } from '../types.ts'
export async function loadModelWeb(options: LoadOptions): Promise<ModelRunner> {
  throw new InferenceError(`not yet: ${options.modelId}`)
}

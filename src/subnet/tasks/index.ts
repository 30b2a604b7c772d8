/** Subnet tasks: one module per kind of work (see `SubnetTask`). */
export { embeddingTask, cosine, type EmbeddingAnswer, type EmbeddingInput, type EmbeddingParams } from './embedding.ts'
export { latencyFactor, type LatencyParams } from './latency.ts'
export { freshNonce, NONCE_BYTES, u32FromNonce, wordsFromNonce } from './nonce-words.ts'
export { textGenerationTask, verifyGeneration, type TextGenerationAnswer, type TextGenerationInput, type TextGenerationParams } from './text-generation.ts'
export { TaskInputError, type SubnetTask, type TaskName, type Verdict, type VerdictReason } from './types.ts'

import { embeddingTask } from './embedding.ts'
import { textGenerationTask } from './text-generation.ts'
import type { EmbeddingParams } from './embedding.ts'
import type { TextGenerationParams } from './text-generation.ts'
import type { SubnetTask } from './types.ts'

/** A task's configuration as a subnet manifest names it. */
export type TaskConfig = ({ name: 'text-generation' } & TextGenerationParams) | ({ name: 'embedding' } & EmbeddingParams)

/**
 * The task module a manifest names.
 * @example const task = createTask(manifest.task)
 */
export function createTask(config: TaskConfig): SubnetTask {
  const { name, ...params } = config
  return (name === 'embedding' ? embeddingTask(params as EmbeddingParams) : textGenerationTask(params as TextGenerationParams)) as SubnetTask
}

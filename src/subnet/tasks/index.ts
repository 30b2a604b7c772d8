/** Subnet tasks: one module per kind of work (see `SubnetTask`). */
export { embeddingTask, cosine, type EmbeddingAnswer, type EmbeddingInput, type EmbeddingParams } from './embedding.ts'
export { latencyFactor, type LatencyParams } from './latency.ts'
export { freshNonce, NONCE_BYTES, u32FromNonce, wordsFromNonce } from './nonce-words.ts'
export { textGenerationTask, verifyGeneration, type TextGenerationAnswer, type TextGenerationInput, type TextGenerationParams } from './text-generation.ts'
export { TaskInputError, type SubnetTask, type TaskName, type Verdict, type VerdictReason } from './types.ts'

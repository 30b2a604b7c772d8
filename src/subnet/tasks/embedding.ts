/**
 * Sentence embeddings. The validator draws short texts of random words from a fresh nonce; the
 * miner returns one mean-pooled, unit-length vector per text; the validator embeds the same texts
 * with its own model and requires each vector's cosine similarity to its own to be at least
 * `minCosine` (backends agree to ~1e-6; another model or random vectors land far below).
 */
import { wordsFromNonce } from './nonce-words.ts'
import { isRecord, TaskInputError, verdict, type SubnetTask } from './types.ts'

export interface EmbeddingParams {
  texts: number
  wordsPerText: number
  minCosine: number
}

export interface EmbeddingInput {
  texts: string[]
}

export interface EmbeddingAnswer {
  vectors: number[][]
}

/** @example const task = embeddingTask({ texts: 4, wordsPerText: 8, minCosine: 0.999 }) */
export function embeddingTask(params: EmbeddingParams): SubnetTask<EmbeddingInput, EmbeddingAnswer> {
  return {
    name: 'embedding',
    makeInput(nonce) {
      return { texts: Array.from({ length: params.texts }, (_, i) => wordsFromNonce(nonce, params.wordsPerText, `text${i}`).join(' ')) }
    },
    parseInput(value) {
      if (!isRecord(value) || !Array.isArray(value.texts)) throw new TaskInputError('input must be { texts: string[] }')
      const texts = value.texts as unknown[]
      if (texts.length !== params.texts) throw new TaskInputError(`texts must hold ${params.texts} strings`)
      if (!texts.every((t): t is string => typeof t === 'string' && t.length > 0 && t.length <= params.wordsPerText * 16)) throw new TaskInputError('texts must be short non-empty strings')
      return { texts }
    },
    async answer(runner, input) {
      if (runner.embed === undefined) throw new TaskInputError(`${runner.modelId} does not embed`)
      return { vectors: await runner.embed(input.texts) }
    },
    async verify(runner, input, answer) {
      if (!isRecord(answer) || !Array.isArray(answer.vectors) || answer.vectors.length !== input.texts.length) return verdict(0, 'malformed', `vectors must be ${input.texts.length} arrays`)
      if (runner.embed === undefined) throw new TaskInputError(`${runner.modelId} does not embed`)
      const own = await runner.embed(input.texts)
      for (let i = 0; i < own.length; i++) {
        const v = (answer.vectors as unknown[])[i]
        if (!Array.isArray(v) || v.length !== own[i]!.length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
          return verdict(0, 'malformed', `vector ${i} must hold ${own[i]!.length} finite numbers`)
        }
        const cos = cosine(own[i]!, v as number[])
        if (!(cos >= params.minCosine)) return verdict(0, 'wrong_vector', `vector ${i}: cosine ${cos.toFixed(4)} < ${params.minCosine}`)
      }
      return verdict(1, 'ok')
    },
  }
}

/** Cosine similarity; 0 when either vector is zero. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

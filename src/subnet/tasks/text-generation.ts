/**
 * Text generation that cannot be faked cheaply. The validator draws a prompt of random words and
 * a sampling seed from a fresh nonce; the miner samples `maxNewTokens` tokens with that seed and
 * reports each token's log-probability; the validator checks the whole answer with ONE
 * teacher-forced pass of its own model (`runner.score` with the sampler replayed): every token
 * must be the seeded sampler's pick (or within float noise of its boundary) and every
 * log-probability within the tolerance. A miner without the pinned model, with another model or
 * with made-up numbers fails; a copied answer belongs to another miner's prompt.
 */
import type { ModelRunner } from '../../inference/index.ts'
import { u32FromNonce, wordsFromNonce } from './nonce-words.ts'
import { isRecord, TaskInputError, verdict, type SubnetTask, type Verdict } from './types.ts'

export interface TextGenerationParams {
  /** Tokens a miner must generate (fewer only when it ends with an end-of-sequence token). */
  maxNewTokens: number
  /** Sampling temperature; 0 means greedy decoding. */
  temperature: number
  /** Words in a prompt. */
  promptWords: number
  /**
   * |miner's log-probability − validator's| allowed per token: the measured gap between backends
   * (Node, WASM, WebGPU) with room to spare.
   */
  logprobTolerance: number
  /**
   * Logit noise allowed at a choice: another token counts as an honest pick only where the
   * draw lies within a share `choiceTolerance / temperature` of the mass from its boundary
   * (greedy: where its logit is within `choiceTolerance` of the best). Tighter than
   * `logprobTolerance`, since a flat distribution puts many tokens near every draw.
   */
  choiceTolerance: number
}

export interface TextGenerationInput {
  prompt: string
  maxNewTokens: number
  temperature: number
  seed: number
}

export interface TextGenerationAnswer {
  tokenIds: number[]
  logprobs: number[]
  /** For people to read; never scored. */
  text?: string
}

/** @example const task = textGenerationTask({ maxNewTokens: 16, temperature: 1, promptWords: 8, logprobTolerance: 1e-2, choiceTolerance: 2e-3 }) */
export function textGenerationTask(params: TextGenerationParams): SubnetTask<TextGenerationInput, TextGenerationAnswer> {
  const greedy = params.temperature === 0
  return {
    name: 'text-generation',
    makeInput(nonce) {
      return {
        prompt: wordsFromNonce(nonce, params.promptWords, 'prompt').join(' '),
        maxNewTokens: params.maxNewTokens,
        temperature: params.temperature,
        seed: u32FromNonce(nonce, 'seed'),
      }
    },
    parseInput(value) {
      if (!isRecord(value)) throw new TaskInputError('input must be an object')
      const { prompt, maxNewTokens, temperature, seed } = value
      if (typeof prompt !== 'string' || prompt.length === 0 || prompt.length > params.promptWords * 16) throw new TaskInputError('prompt must be a short non-empty string')
      // A miner works only within the subnet's budget: nobody can make it generate more.
      if (maxNewTokens !== params.maxNewTokens) throw new TaskInputError(`maxNewTokens must be ${params.maxNewTokens}`)
      if (temperature !== params.temperature) throw new TaskInputError(`temperature must be ${params.temperature}`)
      if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new TaskInputError('seed must be a u32')
      return { prompt, maxNewTokens, temperature, seed }
    },
    async answer(runner, input) {
      const out = await runner.generate({ prompt: input.prompt, maxNewTokens: input.maxNewTokens, greedy, temperature: greedy ? 1 : input.temperature, seed: input.seed, topK: 0 })
      return { tokenIds: out.tokenIds, logprobs: out.logprobs, text: out.text }
    },
    verify: (runner, input, answer) => verifyGeneration(runner, input, answer, params),
  }
}

/** The validator's check of one answer; exported for tests and the benchmark. */
export async function verifyGeneration(
  runner: ModelRunner,
  input: TextGenerationInput,
  answer: unknown,
  tolerances: Pick<TextGenerationParams, 'logprobTolerance' | 'choiceTolerance'>,
): Promise<Verdict> {
  const { logprobTolerance, choiceTolerance } = tolerances
  if (!isRecord(answer) || !Array.isArray(answer.tokenIds) || !Array.isArray(answer.logprobs)) return verdict(0, 'malformed', 'tokenIds and logprobs must be arrays')
  const tokenIds = answer.tokenIds as unknown[]
  const logprobs = answer.logprobs as unknown[]
  if (tokenIds.length !== logprobs.length) return verdict(0, 'malformed', `${tokenIds.length} tokens, ${logprobs.length} logprobs`)
  if (!tokenIds.every((t): t is number => Number.isInteger(t) && (t as number) >= 0)) return verdict(0, 'malformed', 'token ids must be non-negative integers')
  if (!logprobs.every((l): l is number => typeof l === 'number' && Number.isFinite(l))) return verdict(0, 'malformed', 'logprobs must be finite numbers')
  if (tokenIds.length > input.maxNewTokens) return verdict(0, 'too_long', `${tokenIds.length} > ${input.maxNewTokens} tokens`)
  if (tokenIds.length === 0) return verdict(0, 'truncated', 'no tokens')
  const greedy = input.temperature === 0
  let scored
  try {
    scored = await runner.score({
      prompt: input.prompt,
      tokenIds,
      sampling: greedy ? { tolerance: choiceTolerance } : { greedy: false, seed: input.seed, temperature: input.temperature, tolerance: choiceTolerance / input.temperature },
    })
  } catch (err) {
    // Out-of-vocabulary ids and the like: the runner refuses them with a typed error.
    return verdict(0, 'malformed', (err as Error).message)
  }
  if (tokenIds.length < input.maxNewTokens && !scored.endsWithEos) return verdict(0, 'truncated', `${tokenIds.length} of ${input.maxNewTokens} tokens and no end-of-sequence`)
  for (let i = 0; i < tokenIds.length; i++) {
    if (!scored.candidates![i]!.includes(tokenIds[i]!)) return verdict(0, 'wrong_token', `position ${i}: ${tokenIds[i]} where the sampler picks ${scored.candidates![i]![0]}`)
    const gap = Math.abs(scored.logprobs[i]! - (logprobs[i] as number))
    if (!(gap <= logprobTolerance)) return verdict(0, 'bad_logprob', `position ${i}: off by ${gap.toExponential(2)}`)
  }
  return verdict(1, 'ok')
}

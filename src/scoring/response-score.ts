/** A greedy answer as the validator sees it: token ids and the log-probability of each. */
export interface ScoredTokens {
  tokenIds: readonly number[]
  logprobs: readonly number[]
}

/**
 * How far a miner's reported log-probabilities may stray from the validator's own: the inference
 * tests bound the gap between Node, Chromium WASM and WebGPU at 1e-3, so 1e-2 leaves room for
 * other hardware while still catching a miner that makes its numbers up.
 */
export const LOGPROB_TOLERANCE = 1e-2

/**
 * How a validator scores a miner's answer to a greedy-generation query: the fraction of the
 * reference tokens the miner reproduced, counted as the length of the common prefix in which each
 * token matches and its reported log-probability agrees with the reference within `tolerance`.
 * Greedy decoding is deterministic, so an honest miner running the pinned model scores 1; a miner
 * that guesses, runs another model or invents its log-probabilities diverges at its first wrong
 * token and keeps nothing after it.
 * @example scoreAgainstReference({ tokenIds: [5, 6, 7], logprobs: [-1, -2, -3] }, { tokenIds: [5, 6, 9], logprobs: [-1, -2, -3] }) // 2/3
 */
export function scoreAgainstReference(reference: ScoredTokens, answer: ScoredTokens, tolerance = LOGPROB_TOLERANCE): number {
  const ref = reference.tokenIds
  if (ref.length === 0) return answer.tokenIds.length === 0 ? 1 : 0
  let prefix = 0
  while (
    prefix < ref.length &&
    prefix < answer.tokenIds.length &&
    ref[prefix] === answer.tokenIds[prefix] &&
    Math.abs((reference.logprobs[prefix] ?? Number.NaN) - (answer.logprobs[prefix] ?? Number.NaN)) <= tolerance
  ) {
    prefix++
  }
  // Extra tokens beyond the reference are not rewarded and not punished: generation may stop at EOS.
  return prefix / ref.length
}

/** Exponential moving average of a miner's scores; `alpha` is the weight of the newest score. */
export function updateMovingScore(previous: number | undefined, score: number, alpha: number): number {
  return previous === undefined ? score : (1 - alpha) * previous + alpha * score
}

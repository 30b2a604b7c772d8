/**
 * How a validator scores a miner's answer to a greedy-generation query: the fraction of the
 * reference tokens the miner reproduced, counted as the length of the common prefix. Greedy
 * decoding is deterministic, so an honest miner running the pinned model scores 1; a miner that
 * guesses or runs another model diverges at its first wrong token and keeps nothing after it.
 * @example scoreAgainstReference([5, 6, 7], [5, 6, 9]) // 2/3
 */
export function scoreAgainstReference(reference: readonly number[], answer: readonly number[]): number {
  if (reference.length === 0) return answer.length === 0 ? 1 : 0
  let prefix = 0
  while (prefix < reference.length && prefix < answer.length && reference[prefix] === answer[prefix]) prefix++
  // Extra tokens beyond the reference are not rewarded and not punished: generation may stop at EOS.
  return prefix / reference.length
}

/** Exponential moving average of a miner's scores; `alpha` is the weight of the newest score. */
export function updateMovingScore(previous: number | undefined, score: number, alpha: number): number {
  return previous === undefined ? score : (1 - alpha) * previous + alpha * score
}

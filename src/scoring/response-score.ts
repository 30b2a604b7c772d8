/** How a validator's verified scores (quality × latency, see `src/subnet/tasks`) accumulate per uid. */

/** Exponential moving average of a miner's scores; `alpha` is the weight of the newest score. */
export function updateMovingScore(previous: number | undefined, score: number, alpha: number): number {
  return previous === undefined ? score : (1 - alpha) * previous + alpha * score
}

/**
 * How latency counts: the validator measures it (from sending a query to receiving the answer),
 * never the miner. Full credit up to `targetMs`, falling linearly to 0 at `timeoutMs`.
 */
export interface LatencyParams {
  targetMs: number
  timeoutMs: number
}

/** @example latencyFactor(1500, { targetMs: 1000, timeoutMs: 2000 }) // 0.5 */
export function latencyFactor(latencyMs: number, p: LatencyParams): number {
  if (!(latencyMs >= 0)) return 0
  if (latencyMs <= p.targetMs) return 1
  if (latencyMs >= p.timeoutMs) return 0
  return (p.timeoutMs - latencyMs) / (p.timeoutMs - p.targetMs)
}

/**
 * Choosing onnxruntime-web's WASM thread count by measurement (pure logic; the timing and storage
 * live in `worker-client.ts`). One JS context fixes its thread count at its first session, so each
 * candidate is timed in its own worker: the first load uses 1 thread and serves at once, a second
 * worker loads the same (now cached) files with 2 in the background, both run the same short
 * greedy generate, and the faster is kept.
 * The choice is stored per model, dtype and core count, so later loads skip the race.
 */
import { storedObject } from './stored-json.ts'
import type { ModelDtype } from './types.ts'

/** One timed candidate: milliseconds per generated token (median of short runs). */
export interface ThreadTiming {
  threads: number
  msPerToken: number
}

/** The thread count a load used and why, as shown to the user. */
export interface ThreadChoice {
  numThreads: number
  reason: string
  /** The timings the choice came from (absent when not measured). */
  measured?: ThreadTiming[]
}

/** A candidate must beat one thread by this share to be chosen: a second thread costs a core the page and the network also need. */
export const THREAD_MARGIN = 0.1

/** Thread counts worth timing: 1, and 2 when threads are available (cross-origin isolated, at least 2 cores). */
export function threadCandidates(crossOriginIsolated: boolean, cores: number): number[] {
  return crossOriginIsolated && cores >= 2 ? [1, 2] : [1]
}

/** Why only one thread is possible, or null when more can be timed. */
export function singleThreadReason(crossOriginIsolated: boolean, cores: number): string | null {
  if (!crossOriginIsolated) return 'not cross-origin isolated: WASM threads unavailable, 1 thread'
  if (cores < 2) return `${cores} core reported: 1 thread`
  return null
}

const fmt = (t: ThreadTiming) => `${t.threads} thread${t.threads === 1 ? '' : 's'} ${t.msPerToken.toFixed(1)} ms/token`

/** Picks the fastest of `timings` (one thread unless another is faster by `THREAD_MARGIN`). */
export function pickThreads(timings: ThreadTiming[]): ThreadChoice {
  const valid = timings.filter((t) => Number.isInteger(t.threads) && t.threads >= 1 && t.msPerToken > 0 && Number.isFinite(t.msPerToken))
  const one = valid.find((t) => t.threads === 1)
  if (!one) return { numThreads: 1, reason: 'no valid timing: 1 thread', measured: valid }
  const fastest = valid.reduce((a, b) => (b.msPerToken < a.msPerToken ? b : a))
  const best = fastest.msPerToken < one.msPerToken * (1 - THREAD_MARGIN) ? fastest : one
  const others = valid.filter((t) => t !== best).map(fmt).join(', ')
  const verdict = best === one ? `more threads were not ${Math.round(THREAD_MARGIN * 100)}% faster` : 'fastest'
  return { numThreads: best.threads, reason: `measured: ${fmt(best)} (${verdict}; ${others || 'no other candidate'})`, measured: valid }
}

/** The storage key of a stored choice. */
export function threadChoiceKey(modelId: string, dtype: ModelDtype, cores: number): string {
  return `webtensor-threads-v1:${modelId}:${dtype}:${cores}`
}

/** A stored choice, or null when absent, malformed, or no longer a candidate here. */
export function parseThreadChoice(raw: string | null, candidates: number[]): ThreadChoice | null {
  const v = storedObject(raw, 2000)
  if (v === null) return null
  const { numThreads, reason, measured } = v
  if (typeof numThreads !== 'number' || !candidates.includes(numThreads) || typeof reason !== 'string') return null
  const timings = Array.isArray(measured)
    ? measured.filter((t): t is ThreadTiming => typeof t === 'object' && t !== null && typeof t.threads === 'number' && typeof t.msPerToken === 'number')
    : undefined
  return { numThreads, reason, ...(timings ? { measured: timings } : {}) }
}

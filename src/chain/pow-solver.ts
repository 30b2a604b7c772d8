/**
 * The solver seam for PoW registration: `registerByPow` takes any `PowSolver`, so the same code
 * solves inline in Node (`createInlineSolver`) or in a page's Web Worker (`createWorkerSolver`,
 * pow-worker.ts). No `node:` imports: the inline solver also runs inside that worker.
 * @module
 */
import { createSealSearch, type SealJob, type SealSolution } from './seal.ts'

/** Progress of one solve, reported a few times a second. */
export interface PowProgress {
  /** Nonces tried so far. */
  tries: number
  /** Average rate since the solve started. */
  hashesPerSecond: number
  /** About how many tries a solve takes on average (≈ the difficulty: each succeeds with p ≈ 1/difficulty). */
  expectedTries: number
}

export interface PowSolveOptions {
  onProgress?(p: PowProgress): void
  /** Aborting resolves the solve with null. */
  signal?: AbortSignal
  /** The first nonce to try (u64); a random one by default, so parallel solvers don't overlap. */
  startNonce?: bigint
}

/** Finds a nonce whose seal meets `job.difficulty`; resolves null if aborted first. */
export type PowSolver = (job: SealJob, opts?: PowSolveOptions) => Promise<SealSolution | null>

const U64_MASK = (1n << 64n) - 1n

/** A uniformly random u64 from the platform's CSPRNG (Node 20 and browsers have `crypto`). */
export function randomNonce(): bigint {
  const words = crypto.getRandomValues(new Uint32Array(2))
  return (BigInt(words[1]) << 32n) | BigInt(words[0])
}

/**
 * Mean number of tries to meet `difficulty`: 2^256 / (floor((2^256−1)/d) + 1) ≈ d (1 for d ≤ 1),
 * as a float.
 */
export function expectedTries(difficulty: bigint): number {
  return difficulty <= 1n ? 1 : Number(difficulty)
}

const now = (): number => performance.now()
const setTimeoutYield = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

export interface InlineSolverOptions {
  /** How to give the event loop a turn between chunks; `setTimeout(0)` by default. */
  yieldToEventLoop?: () => Promise<void>
  /** Target duration of one uninterrupted chunk of hashing (ms); the chunk size adapts to it. */
  chunkMs?: number
  /** Minimum interval between progress reports (ms). */
  progressMs?: number
}

/**
 * A solver that hashes on the calling thread in chunks of about `chunkMs` (16 ms by default),
 * yielding to the event loop between chunks, so a Node process keeps serving its sockets and an
 * abort takes effect within a chunk.
 */
export function createInlineSolver(options: InlineSolverOptions = {}): PowSolver {
  const yieldToEventLoop = options.yieldToEventLoop ?? setTimeoutYield
  const chunkMs = options.chunkMs ?? 16
  const progressMs = options.progressMs ?? 250
  return async (job, opts = {}) => {
    const { signal, onProgress } = opts
    const search = createSealSearch(job)
    if (signal?.aborted) return null
    const expected = expectedTries(job.difficulty)
    let nonce = (opts.startNonce ?? randomNonce()) & U64_MASK
    let chunk = 256
    let tries = 0
    const start = now()
    let lastReport = start
    const report = (t: number): void => {
      const seconds = (t - start) / 1000
      onProgress?.({ tries, hashesPerSecond: seconds > 0 ? tries / seconds : 0, expectedTries: expected })
    }
    for (;;) {
      const t0 = now()
      const hit = search(nonce, chunk)
      const t1 = now()
      if (hit !== null) {
        tries += Number(((hit.nonce - nonce) & U64_MASK) + 1n)
        report(t1)
        return hit
      }
      tries += chunk
      nonce = (nonce + BigInt(chunk)) & U64_MASK
      // Grow or shrink toward chunkMs, at most 2x per step (timers are coarse in pages).
      const elapsed = t1 - t0
      const scale = elapsed > 0 ? Math.min(2, Math.max(0.5, chunkMs / elapsed)) : 2
      chunk = Math.max(64, Math.min(1 << 22, Math.round(chunk * scale)))
      if (onProgress && t1 - lastReport >= progressMs) {
        lastReport = t1
        report(t1)
      }
      await yieldToEventLoop()
      if (signal?.aborted) return null
    }
  }
}

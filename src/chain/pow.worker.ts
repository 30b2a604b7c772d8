/// <reference lib="webworker" />
// Web Worker running the PoW seal search off the page's main thread (see createWorkerSolver).
import * as Comlink from 'comlink'
import { createInlineSolver, type PowProgress } from './pow-solver.ts'
import type { SealJob, SealSolution } from './seal.ts'

/** What the worker exposes over comlink. */
export interface PowWorkerEndpoint {
  /**
   * Solves `job`; `onProgress` is a `Comlink.proxy` on the page. Every progress call has been
   * delivered before the result comes back. There is no cancel: the page terminates the worker.
   */
  solve(job: SealJob, startNonce: bigint | undefined, onProgress: ((p: PowProgress) => void) | undefined): Promise<SealSolution>
}

// A macrotask without the 4 ms clamp nested setTimeout(0) gets, so yielding between chunks (which
// lets comlink's messages through) costs next to nothing.
const channel = new MessageChannel()
const turns: (() => void)[] = []
channel.port1.onmessage = () => turns.shift()?.()
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => { turns.push(resolve); channel.port2.postMessage(null) })

const solver = createInlineSolver({ yieldToEventLoop })

const endpoint: PowWorkerEndpoint = {
  async solve(job, startNonce, onProgress) {
    const remote = onProgress as Comlink.Remote<(p: PowProgress) => void> | undefined
    let delivered: Promise<unknown> = Promise.resolve()
    try {
      const found = await solver(job, {
        startNonce,
        onProgress: remote ? (p) => { delivered = Promise.all([delivered, remote(p).catch(() => undefined)]) } : undefined,
      })
      await delivered
      // The worker solver is never given a signal, so it only ends with a seal.
      return found as SealSolution
    } finally {
      remote?.[Comlink.releaseProxy]()
    }
  },
}

Comlink.expose(endpoint)

import * as Comlink from 'comlink'
import { WebtensorError } from '../errors.ts'
import type { PowSolver } from './pow-solver.ts'
import type { PowWorkerEndpoint } from './pow.worker.ts'
import type { SealSolution } from './seal.ts'

/** The worker solver was used after `dispose()`. */
export class PowWorkerError extends WebtensorError {
  override name = 'PowWorkerError'
}

interface Handle {
  worker: Worker
  remote: Comlink.Remote<PowWorkerEndpoint>
}

/**
 * A `PowSolver` that hashes in a module Web Worker (browser only; Vite bundles the worker), so the
 * page stays smooth while it mines. Progress is posted from the worker; an abort terminates that
 * worker at once (the next solve starts a fresh one), and a finished solve's worker is kept for the
 * next. `dispose()` terminates every worker and resolves solves in flight with null.
 *
 * @example const solve = createWorkerSolver(); const hit = await solve(job, { onProgress }); solve.dispose()
 */
export function createWorkerSolver(): PowSolver & { dispose(): void } {
  const idle: Handle[] = []
  const live = new Set<Handle>()
  const disposal = new AbortController()

  const spawn = (): Handle => {
    const worker = new Worker(new URL('./pow.worker.ts', import.meta.url), { type: 'module' })
    const handle = { worker, remote: Comlink.wrap<PowWorkerEndpoint>(worker) }
    live.add(handle)
    return handle
  }
  const kill = (handle: Handle): void => {
    if (!live.delete(handle)) return
    handle.remote[Comlink.releaseProxy]()
    handle.worker.terminate()
  }

  const solve: PowSolver = async (job, opts = {}) => {
    if (disposal.signal.aborted) throw new PowWorkerError('the worker solver was disposed', { code: 'disposed' })
    const signal = opts.signal ? AbortSignal.any([opts.signal, disposal.signal]) : disposal.signal
    if (signal.aborted) return null
    const handle = idle.pop() ?? spawn()
    let onAbort = (): void => {}
    const aborted = new Promise<null>((resolve) => {
      onAbort = () => resolve(null)
      signal.addEventListener('abort', onAbort, { once: true })
    })
    const progress = opts.onProgress ? Comlink.proxy(opts.onProgress) : undefined
    try {
      const result: SealSolution | null = await Promise.race([handle.remote.solve(job, opts.startNonce, progress), aborted])
      if (result === null) kill(handle)
      else idle.push(handle)
      return result
    } catch (err) {
      kill(handle)
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  return Object.assign(solve, {
    dispose(): void {
      disposal.abort()
      idle.length = 0
      for (const handle of [...live]) kill(handle)
    },
  })
}

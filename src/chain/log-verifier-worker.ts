import * as Comlink from 'comlink'
import type { LogVerifierEndpoint, LogVerifierOptions, VerifierUpdate } from './log-verifier.ts'

/** The page's handle on a log verifier running in its own Web Worker. */
export interface LogVerifierWorker {
  /** Starts over: a fresh verifier expecting entry 0 next. */
  start(options: LogVerifierOptions): Promise<void>
  /** Verifies whole lines (see `LogVerifier.push`). */
  push(text: string): Promise<VerifierUpdate>
  terminate(): void
}

/**
 * Starts a module Web Worker that verifies the owner's chain log (browser only; Vite bundles the
 * worker), so replaying a long log and re-running its epochs never blocks the page.
 * @example const v = createLogVerifierWorker(); await v.start({ ownerHotkey }); const u = await v.push(text)
 */
export function createLogVerifierWorker(): LogVerifierWorker {
  const worker = new Worker(new URL('./log-verifier.worker.ts', import.meta.url), { type: 'module' })
  const remote = Comlink.wrap<LogVerifierEndpoint>(worker)
  return {
    start: (options) => remote.start(options),
    push: (text) => remote.push(text),
    terminate() {
      remote[Comlink.releaseProxy]()
      worker.terminate()
    },
  }
}

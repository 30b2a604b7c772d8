import * as Comlink from 'comlink'
import { packInput, unpackOutput, type YumaWorkerApi, type YumaWorkerEndpoint } from './yuma-worker-protocol.ts'

export type { YumaWorkerApi } from './yuma-worker-protocol.ts'

/**
 * Starts a module Web Worker that runs Yuma epochs (browser only; Vite bundles the worker).
 * Weight and bond rows go in as transferred CSR typed arrays (`packInput`); results come back with
 * their proportion arrays in one transferred Float64Array.
 *
 * @example const yuma = createYumaWorker(); const out = await yuma.runEpoch(input); yuma.terminate()
 */
export function createYumaWorker(): YumaWorkerApi & { terminate(): void } {
  const worker = new Worker(new URL('./yuma.worker.ts', import.meta.url), { type: 'module' })
  const remote = Comlink.wrap<YumaWorkerEndpoint>(worker)
  return {
    async runEpoch(input, options) {
      const { message, transfer } = packInput(input)
      return unpackOutput(await remote.runEpochPacked(Comlink.transfer(message, transfer), options))
    },
    epochDigest: (output) => remote.epochDigest(output),
    terminate() {
      remote[Comlink.releaseProxy]()
      worker.terminate()
    },
  }
}

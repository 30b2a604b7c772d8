/**
 * What libp2p 3 expects from its runtime and Node 20 lacks: `Promise.withResolvers` (without it
 * libp2p fails to start, surfacing as "Pubsub is not started") and a global `WebSocket` (dialling
 * over websockets fails). Browsers have both; Node ≥ 22 too.
 */
import { installYamuxWindowHysteresis } from './yamux-window.ts'

/** True in Node (and not in browsers or workers). */
export const isNode: boolean =
  typeof globalThis.process === 'object' && typeof globalThis.process?.versions?.node === 'string' && typeof globalThis.document === 'undefined'

interface PromiseWithResolversShape<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

/** Installs the missing globals and transport tuning; idempotent. Await it before creating a libp2p node. */
export async function ensureRuntime(): Promise<void> {
  installYamuxWindowHysteresis()
  const P = Promise as unknown as { withResolvers?: <T>() => PromiseWithResolversShape<T> }
  if (typeof P.withResolvers !== 'function') {
    P.withResolvers = <T>() => {
      let resolve!: (value: T | PromiseLike<T>) => void
      let reject!: (reason?: unknown) => void
      const promise = new Promise<T>((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    }
  }
  if (isNode && typeof globalThis.WebSocket === 'undefined') {
    const ws = await import('ws')
    // ws implements the WHATWG WebSocket surface libp2p's websockets transport uses.
    ;(globalThis as unknown as { WebSocket: unknown }).WebSocket = ws.WebSocket
  }
}

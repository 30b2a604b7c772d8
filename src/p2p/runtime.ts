/**
 * What the p2p layer needs from its runtime, installed once by `ensureRuntime`:
 * - what libp2p 3 expects and Node 20 lacks: `Promise.withResolvers` (without it libp2p fails to
 *   start, surfacing as "Pubsub is not started") and a global `WebSocket` (dialling over
 *   websockets fails). Browsers have both; Node ≥ 22 too.
 * - transport patches, each in its own module with its reasons and tests: yamux window updates,
 *   coalesced TCP writes, noise frame splitting, one buffer per length-prefixed frame. They are
 *   process-wide and pinned: each is checked against the versions and shapes it was written for
 *   first, and a difference throws `RuntimePatchError` (see `patch-target.ts`).
 * - faster sr25519 verification (browsers and Node) and, in Node, native SHA-256, each adopted
 *   after a self-check.
 */
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { FRAME_DECODER_TARGET, installQuietFrameDecoder } from './frame-decoder.ts'
import { installOneBufferFrames, ONE_BUFFER_FRAMES_TARGET } from './one-buffer-frames.ts'
import { checkPatchTarget, nodePackageFinder, type PatchTarget } from './patch-target.ts'
import { installSocketCork, SOCKET_CORK_TARGET } from './socket-cork.ts'
import { useSha256 } from './msg-id.ts'
import { useSr25519Verifier, type Sr25519Verify } from './verify.ts'
import { installYamuxWindowHysteresis, YAMUX_WINDOW_TARGET } from './yamux-window.ts'

/** True in Node (and not in browsers or workers). */
export const isNode: boolean =
  typeof globalThis.process === 'object' && typeof globalThis.process?.versions?.node === 'string' && typeof globalThis.document === 'undefined'

interface PromiseWithResolversShape<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

/** Every runtime patch's pins; socket-cork applies (and is checked) in Node only. */
export const PATCH_TARGETS: readonly PatchTarget[] = [YAMUX_WINDOW_TARGET, FRAME_DECODER_TARGET, ONE_BUFFER_FRAMES_TARGET, SOCKET_CORK_TARGET]

let patchesChecked: Promise<void> | undefined

/**
 * Checks every patch against what is installed: versions and shapes in Node, shapes in browsers.
 * Throws `RuntimePatchError` for the first difference.
 */
export function checkRuntimePatches(): Promise<void> {
  patchesChecked ??= (async () => {
    const finder = isNode ? await nodePackageFinder() : undefined
    for (const target of PATCH_TARGETS) {
      if (target === SOCKET_CORK_TARGET && !isNode) continue
      checkPatchTarget(target, finder?.find, finder?.findNested)
    }
  })()
  return patchesChecked
}

/**
 * Installs the missing globals and transport tuning; idempotent. Await it before creating a libp2p
 * node. Throws `RuntimePatchError` when a patched library is not the version the patch was
 * written for.
 */
export async function ensureRuntime(): Promise<void> {
  await checkRuntimePatches()
  installYamuxWindowHysteresis()
  installSocketCork()
  installQuietFrameDecoder()
  installOneBufferFrames()
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
    // ws implements the WHATWG WebSocket surface libp2p's websockets transport uses. Each socket
    // keeps one 'error' listener of its own: libp2p's dialer drops its listeners when a dial is
    // given up, and a connect error ws emits after that (ECONNREFUSED from a peer that just
    // stopped) would otherwise be an unhandled 'error' event that ends the process (seen in
    // `webtensor simulate --join` when a kill fault stopped a peer being dialled; websockets/ws#1835).
    // The other listeners still get every error.
    class GuardedWebSocket extends ws.WebSocket {
      constructor(...args: ConstructorParameters<typeof ws.WebSocket>) {
        super(...args)
        this.on('error', () => {})
      }
    }
    ;(globalThis as unknown as { WebSocket: unknown }).WebSocket = GuardedWebSocket
  }
  await Promise.all([useFastSr25519(), isNode ? useNodeSha256() : undefined])
}

// A variable, so bundlers leave Node's module out of the browser build.
const NODE_CRYPTO = 'node:crypto'

/** In Node, message ids use the native SHA-256 (one-shot `crypto.hash` where Node has it). */
async function useNodeSha256(): Promise<void> {
  try {
    const crypto = (await import(/* @vite-ignore */ NODE_CRYPTO)) as typeof import('node:crypto') & {
      hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Uint8Array
    }
    const { hash, createHash } = crypto
    useSha256(typeof hash === 'function' ? (d) => hash('sha256', d, 'buffer') : (d) => createHash('sha256').update(d).digest())
  } catch {
    // No native crypto: the portable SHA-256 stays.
  }
}

let fastSr25519: Promise<void> | undefined

/**
 * Verifies sr25519 with `@polkadot-labs/schnorrkel-wasm`, in about half the time of
 * `@polkadot/wasm-crypto` (0.14 against 0.31 ms per signature in Node on the project machine;
 * every peer verifies every message). Its ES module carries the wasm inline and compiles it on
 * import (137 KB), so pages load it as a chunk of their own, with no separate fetch. It is adopted
 * only after a self-check; anything amiss keeps the wasm-crypto verifier.
 */
function useFastSr25519(): Promise<void> {
  fastSr25519 ??= (async () => {
    try {
      await cryptoWaitReady()
      const mod = (await import('@polkadot-labs/schnorrkel-wasm')) as { sr25519_verify?: Sr25519Verify }
      if (typeof mod.sr25519_verify === 'function') useSr25519Verifier(mod.sr25519_verify)
    } catch {
      // Not loadable here: wasm-crypto stays.
    }
  })()
  return fastSr25519
}

/**
 * Fast sr25519 verification for inbound envelopes. `@polkadot/util-crypto` 14 verifies sr25519 with
 * `@scure/sr25519` (pure JS: ~9 ms per signature measured here), and every peer verifies every
 * message, so that cost multiplies by the mesh size. The wasm verifier of `@polkadot/wasm-crypto`
 * (initialised by `cryptoWaitReady`, which `hotkeyFromSecret` awaits) is several times faster;
 * when it is not ready we fall back to the identity module's verifier.
 */
import { isReady, sr25519Verify as wasmSr25519Verify } from '@polkadot/wasm-crypto'
import { decodeAddress } from '@polkadot/util-crypto'
import { verifySignature } from '../node/identity.ts'

const publicKeys = new Map<string, Uint8Array | null>()
const MAX_CACHED_KEYS = 10_000

function publicKeyOf(address: string): Uint8Array | null {
  let key = publicKeys.get(address)
  if (key === undefined) {
    try {
      key = decodeAddress(address)
      if (key.length !== 32) key = null
    } catch {
      key = null
    }
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.clear()
    publicKeys.set(address, key)
  }
  return key
}

/** True when `signature` is the sr25519 signature of `message` by the SS58 `address`. */
export function verifyHotkeySignature(message: Uint8Array, signature: Uint8Array, address: string): boolean {
  if (!isReady()) return verifySignature(message, signature, address)
  const key = publicKeyOf(address)
  if (key === null || signature.length !== 64) return false
  try {
    return wasmSr25519Verify(signature, message, key)
  } catch {
    return false
  }
}

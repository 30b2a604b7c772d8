/**
 * Fast sr25519 verification for inbound envelopes. `@polkadot/util-crypto` 14 verifies sr25519 with
 * `@scure/sr25519` (pure JS: ~9 ms per signature measured here), and every peer verifies every
 * message, so that cost multiplies by the mesh size. The wasm verifier of `@polkadot/wasm-crypto`
 * (initialised by `cryptoWaitReady`, which `hotkeyFromSecret` awaits) is several times faster;
 * when it is not ready we fall back to the identity module's verifier. A faster build of
 * schnorrkel can be plugged in (`useSr25519Verifier`) once it passes a self-check; `ensureRuntime`
 * plugs in `@polkadot-labs/schnorrkel-wasm` in browsers and Node alike.
 *
 * schnorrkel-wasm panics (a wasm trap) on a signature without schnorrkel's marker bit, on a
 * non-canonical scalar and on a public key that is not a Ristretto point, and every trap leaks
 * its shadow stack: measured here, after ~1,200 such inputs it refused every valid signature,
 * and each trap cost ~4 ms printing a stack trace. So it only ever sees well-formed signatures
 * (checked here) under keys that already verified a signature through wasm-crypto (which returns
 * false on all of these); should it throw anyway, it is dropped for good.
 */
import { isReady, sr25519KeypairFromSeed, sr25519Sign, sr25519Verify as wasmSr25519Verify } from '@polkadot/wasm-crypto'
import { decodeAddress } from '@polkadot/util-crypto'
import { verifySignature } from '../identity/identity.ts'

/** A raw sr25519 verifier: true when `signature` is `publicKey`'s signature of `message` (context "substrate"). */
export type Sr25519Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean

const publicKeys = new Map<string, Uint8Array | null>()
const MAX_CACHED_KEYS = 10_000
/** Addresses whose key verified a signature through wasm-crypto: valid points, safe for the plugged verifier. */
const provenKeys = new Set<string>()

let pluggedVerify: Sr25519Verify | null = null

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

/**
 * Whether `signature` is encoded as schnorrkel signs: 64 bytes, the marker bit (bit 7 of the last
 * byte) set, and a scalar below 2^252 (bits 4–6 of the last byte clear). A real signature's scalar
 * is ≥ 2^252 (and still canonical) with probability ~2^-127, so nothing honest is lost.
 */
export function wellFormedSr25519Signature(signature: Uint8Array): boolean {
  return signature.length === 64 && (signature[63] & 0xf0) === 0x80
}

/** True when `signature` is the sr25519 signature of `message` by the SS58 `address`. */
export function verifyHotkeySignature(message: Uint8Array, signature: Uint8Array, address: string): boolean {
  if (pluggedVerify === null && !isReady()) return verifySignature(message, signature, address)
  const key = publicKeyOf(address)
  if (key === null || !wellFormedSr25519Signature(signature)) return false
  if (pluggedVerify !== null && provenKeys.has(address)) {
    try {
      return pluggedVerify(key, message, signature)
    } catch {
      // A trap in a wasm verifier may leave it corrupt: never use it again.
      pluggedVerify = null
    }
  }
  try {
    const ok = wasmSr25519Verify(signature, message, key)
    if (ok && pluggedVerify !== null) {
      if (provenKeys.size >= MAX_CACHED_KEYS) provenKeys.clear()
      provenKeys.add(address)
    }
    return ok
  } catch {
    return false
  }
}

/**
 * Adopts `candidate` as the sr25519 verifier after checking it against `@polkadot/wasm-crypto`
 * (which must be ready): it must accept signatures made there and refuse a tampered message, a
 * tampered signature and another key. Returns whether it was adopted; a refused candidate
 * leaves the current verifier in place.
 * @example useSr25519Verifier((pk, msg, sig) => schnorrkel.sr25519_verify(pk, msg, sig))
 */
export function useSr25519Verifier(candidate: Sr25519Verify): boolean {
  if (!isReady()) return false
  try {
    const pair = sr25519KeypairFromSeed(new Uint8Array(32).fill(7))
    const other = sr25519KeypairFromSeed(new Uint8Array(32).fill(9))
    const publicKey = pair.slice(64)
    const message = new TextEncoder().encode('webtensor sr25519 verifier self-check')
    const signature = sr25519Sign(publicKey, pair.slice(0, 64), message)
    const tamperedMessage = message.slice()
    tamperedMessage[0] ^= 1
    const tamperedSignature = signature.slice()
    tamperedSignature[5] ^= 1
    const ok =
      candidate(publicKey, message, signature) === true &&
      candidate(publicKey, tamperedMessage, signature) === false &&
      candidate(publicKey, message, tamperedSignature) === false &&
      candidate(other.slice(64), message, signature) === false
    if (ok) pluggedVerify = candidate
    return ok
  } catch {
    return false
  }
}

/** Which sr25519 verifier inbound envelopes go through (for metrics and tests). */
export function sr25519VerifierName(): 'plugged' | 'wasm-crypto' | 'js' {
  return pluggedVerify !== null ? 'plugged' : isReady() ? 'wasm-crypto' : 'js'
}

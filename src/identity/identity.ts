import { WebtensorError } from '../errors.ts'
import { Keyring } from '@polkadot/keyring'
import type { KeyringPair } from '@polkadot/keyring/types'
import { decodePair } from '@polkadot/keyring/pair/decode'
import { u8aEq } from '@polkadot/util'
import { cryptoWaitReady, mnemonicGenerate, mnemonicValidate, signatureVerify } from '@polkadot/util-crypto'
import { isReady as wasmReady, sr25519Sign as wasmSr25519Sign, sr25519Verify as wasmSr25519Verify } from '@polkadot/wasm-crypto'

/** SS58 prefix of the Bittensor network ("5..." addresses). */
export const SS58_PREFIX = 42

/**
 * A hotkey that signs for this node. The signer is the only thing the p2p layer and the chain
 * adapter need from an identity, so tests can pass any implementation.
 */
export interface Signer {
  /** SS58 address of the sr25519 public key. */
  readonly address: string
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

export interface Hotkey extends Signer {
  /** The secret that recreates this key (a BIP39 mnemonic or a `//Dev` URI). */
  readonly secret: string
  readonly pair: KeyringPair
}

/**
 * Creates the hotkey for a secret URI (mnemonic, `//Alice`-style derivation, or `mnemonic//path`).
 * Errors never repeat the secret or any part of it (a derivation path is secret too).
 * @example const hk = await hotkeyFromSecret('//Validator1')
 */
export async function hotkeyFromSecret(secret: string): Promise<Hotkey> {
  if (secret.trim() === '') throw new IdentityError('the secret is empty', { code: 'bad_secret' })
  await cryptoWaitReady()
  const keyring = new Keyring({ type: 'sr25519', ss58Format: SS58_PREFIX })
  const phrase = secret.split('//')[0]?.trim() ?? ''
  if (phrase !== '' && !mnemonicValidate(phrase)) {
    throw new IdentityError(`not a valid mnemonic or secret URI (it must be 12/24 BIP39 words or start with //)`, { code: 'bad_secret' })
  }
  let pair: KeyringPair
  try {
    pair = keyring.addFromUri(secret)
  } catch {
    // The library's messages can quote the derivation path: say what is wrong without it.
    throw new IdentityError('not a valid secret URI (a mnemonic, then optional //hard or /soft derivations)', { code: 'bad_secret' })
  }
  const hotkey = { pair, address: pair.address, publicKey: pair.publicKey, sign: fastSigner(pair) }
  // Not enumerable, so printing or serialising a hotkey does not print its secret.
  return Object.defineProperty(hotkey, 'secret', { value: secret, enumerable: false }) as Hotkey
}

/**
 * Signing with the wasm sr25519 of `@polkadot/wasm-crypto` (ready after `cryptoWaitReady`):
 * ~0.25 ms per signature against ~2.5 ms for `pair.sign`, which in `@polkadot/util-crypto` 14 is
 * pure JS. A node signs every message it gossips, so this is on the hot path. The secret comes
 * out of the pair's own PKCS#8 encoding; a self-check against the pair's public key guards the
 * format, and any doubt falls back to `pair.sign` (same signatures, just slower).
 */
function fastSigner(pair: KeyringPair): (message: Uint8Array) => Uint8Array {
  const slow = (message: Uint8Array) => pair.sign(message)
  if (!wasmReady()) return slow
  try {
    const { publicKey, secretKey } = decodePair(undefined, pair.encodePkcs8(), 'none')
    if (secretKey.length !== 64 || !u8aEq(publicKey, pair.publicKey)) return slow
    const secret = secretKey.slice()
    const probe = new TextEncoder().encode('webtensor signer self-check')
    if (!wasmSr25519Verify(wasmSr25519Sign(pair.publicKey, secret, probe), probe, pair.publicKey)) return slow
    return (message) => wasmSr25519Sign(pair.publicKey, secret, message)
  } catch {
    return slow
  }
}

/** A new random hotkey (12-word mnemonic). */
export async function generateHotkey(): Promise<Hotkey> {
  await cryptoWaitReady()
  return hotkeyFromSecret(mnemonicGenerate(12))
}

/** True when `signature` is a valid sr25519 signature of `message` by the SS58 `address`. */
export function verifySignature(message: Uint8Array, signature: Uint8Array, address: string): boolean {
  try {
    return signatureVerify(message, signature, address).isValid
  } catch {
    return false
  }
}

/**
 * Minimal key-value storage for secrets: a file in Node (`secret-file.ts`), IndexedDB with
 * encryption in the browser (`secret-idb.ts`). Either side may answer synchronously or not.
 */
export interface SecretStore {
  get(key: string): string | null | Promise<string | null>
  set(key: string, value: string): void | Promise<void>
}

/** Where a page keeps its hotkey's secret. */
export const HOTKEY_KEY = 'webtensor.hotkey'

/**
 * Loads the hotkey kept in `store` under `key`, creating and saving a new one the first time,
 * so a page keeps its hotkey across reloads.
 */
export async function loadOrCreateHotkey(store: SecretStore, key = HOTKEY_KEY): Promise<Hotkey> {
  const saved = await store.get(key)
  if (saved !== null && saved !== '') return hotkeyFromSecret(saved)
  const hotkey = await generateHotkey()
  await store.set(key, hotkey.secret)
  return hotkey
}

/**
 * Replaces the hotkey kept in `store` under `key` with the one `secret` makes. The secret is
 * checked first: an invalid one throws `IdentityError` and leaves the stored hotkey as it was.
 */
export async function replaceHotkey(store: SecretStore, secret: string, key = HOTKEY_KEY): Promise<Hotkey> {
  const hotkey = await hotkeyFromSecret(secret.trim())
  await store.set(key, hotkey.secret)
  return hotkey
}

export class IdentityError extends WebtensorError {
  override name = 'IdentityError'
}

import { WebtensorError } from '../errors.ts'
import { Keyring } from '@polkadot/keyring'
import type { KeyringPair } from '@polkadot/keyring/types'
import { decodePair } from '@polkadot/keyring/pair/decode'
import { hexToU8a, u8aEq } from '@polkadot/util'
import { cryptoWaitReady, mnemonicGenerate, mnemonicValidate, signatureVerify } from '@polkadot/util-crypto'
import { isReady as wasmReady, sr25519Agree, sr25519Sign as wasmSr25519Sign, sr25519Verify as wasmSr25519Verify } from '@polkadot/wasm-crypto'

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
 * Creates the hotkey for a secret: a secret URI (mnemonic, `//Alice`-style derivation, or
 * `mnemonic//path`), a `0x` 32-byte seed (a btcli keyfile's `secretSeed`, with optional
 * derivations), or a `0x` 64-byte sr25519 secret key (a btcli keyfile's `privateKey`: schnorrkel's
 * canonical key scalar then nonce). Errors never repeat the secret or any part of it (a
 * derivation path is secret too).
 * @example const hk = await hotkeyFromSecret('//Validator1')
 */
export async function hotkeyFromSecret(secret: string): Promise<Hotkey> {
  if (secret.trim() === '') throw new IdentityError('the secret is empty', { code: 'bad_secret' })
  await cryptoWaitReady()
  const keyring = new Keyring({ type: 'sr25519', ss58Format: SS58_PREFIX })
  let pair: KeyringPair
  if (SECRET_KEY_HEX.test(secret)) {
    pair = pairFromSecretKey(keyring, hexToU8a(secret))
  } else {
    const phrase = secret.split('//')[0]?.split('/')[0]?.trim() ?? ''
    if (phrase !== '' && !mnemonicValidate(phrase) && !SEED_HEX.test(phrase)) {
      throw new IdentityError(`not a valid mnemonic or secret URI (it must be 12/24 BIP39 words, a 0x 32-byte seed, or start with //)`, { code: 'bad_secret' })
    }
    try {
      pair = keyring.addFromUri(secret)
    } catch {
      // The library's messages can quote the derivation path: say what is wrong without it.
      throw new IdentityError('not a valid secret URI (a mnemonic or 0x seed, then optional //hard or /soft derivations)', { code: 'bad_secret' })
    }
  }
  const hotkey = { pair, address: pair.address, publicKey: pair.publicKey, sign: fastSigner(pair) }
  // Not enumerable, so printing or serialising a hotkey does not print its secret.
  return Object.defineProperty(hotkey, 'secret', { value: secret, enumerable: false }) as Hotkey
}

/** A `0x` 32-byte seed (substrate's mini secret key). */
const SEED_HEX = /^0x[0-9a-fA-F]{64}$/
/** A `0x` 64-byte sr25519 secret key. */
const SECRET_KEY_HEX = /^0x[0-9a-fA-F]{128}$/
/** Ristretto255's base point, compressed: the public key of a secret scalar s is s·B. */
const RISTRETTO_BASEPOINT = hexToU8a('0xe2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76')

/**
 * The keypair of a 64-byte sr25519 secret key in schnorrkel's canonical encoding (`SecretKey::
 * to_bytes`, what sp_core's `to_raw_vec` and so btcli's `privateKey` hold). `@polkadot` keeps the
 * scalar in the "ed25519" encoding (times the cofactor 8), so it is shifted left 3 bits; the
 * public key is s·B, computed with wasm-crypto's Diffie-Hellman (`sr25519Agree`) against the base
 * point, then checked by a signature round trip.
 */
export function pairFromSecretKey(keyring: Keyring, canonical: Uint8Array): KeyringPair {
  const bad = (why: string) => new IdentityError(`not a usable sr25519 secret key (${why})`, { code: 'bad_secret' })
  if (canonical.length !== 64) throw bad('it must be 64 bytes')
  if ((canonical[31]! & 0xf0) !== 0) throw bad('its scalar is not canonical: it is not a schnorrkel secret key')
  if (!wasmReady()) throw bad('the sr25519 wasm is not ready')
  const secretKey = canonical.slice()
  let carry = 0
  for (let i = 0; i < 32; i++) {
    const v = (canonical[i]! << 3) | carry
    secretKey[i] = v & 0xff
    carry = v >> 8
  }
  let publicKey: Uint8Array
  try {
    publicKey = sr25519Agree(RISTRETTO_BASEPOINT, secretKey)
  } catch {
    throw bad('the key is out of range')
  }
  const pair = keyring.addFromPair({ publicKey, secretKey })
  const probe = new TextEncoder().encode('webtensor secret key self-check')
  if (!signatureVerify(probe, pair.sign(probe), publicKey).isValid) throw bad('it does not sign for its own public key')
  return pair
}

/** Schnorrkel's canonical encoding of the `@polkadot` ("ed25519"-encoded) secret key of `pair`: btcli's `privateKey`. */
export function canonicalSecretKey(pair: KeyringPair): Uint8Array {
  const { secretKey } = decodePair(undefined, pair.encodePkcs8(), 'none')
  const out = secretKey.slice()
  for (let i = 0; i < 32; i++) out[i] = ((secretKey[i]! >> 3) | ((secretKey[i + 1] ?? 0) << 5)) & 0xff
  out[31] = secretKey[31]! >> 3
  return out
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

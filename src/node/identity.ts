import { WebtensorError } from '../errors.ts'
import { Keyring } from '@polkadot/keyring'
import type { KeyringPair } from '@polkadot/keyring/types'
import { cryptoWaitReady, mnemonicGenerate, mnemonicValidate, signatureVerify } from '@polkadot/util-crypto'

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
 * @example const hk = await hotkeyFromSecret('//Validator1')
 */
export async function hotkeyFromSecret(secret: string): Promise<Hotkey> {
  await cryptoWaitReady()
  const keyring = new Keyring({ type: 'sr25519', ss58Format: SS58_PREFIX })
  const phrase = secret.split('//')[0]?.trim() ?? ''
  if (phrase !== '' && !mnemonicValidate(phrase)) {
    throw new IdentityError(`not a valid mnemonic or secret URI (it must be 12/24 BIP39 words or start with //)`)
  }
  const pair = keyring.addFromUri(secret)
  return {
    secret,
    pair,
    address: pair.address,
    publicKey: pair.publicKey,
    sign: (message) => pair.sign(message),
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

/** Minimal key-value storage (localStorage in the browser, a file in Node). */
export interface SecretStore {
  get(key: string): string | null
  set(key: string, value: string): void
}

/**
 * Loads the hotkey kept in `store` under `key`, creating and saving a new one the first time,
 * so a page keeps its hotkey across reloads.
 */
export async function loadOrCreateHotkey(store: SecretStore, key = 'webtensor.hotkey'): Promise<Hotkey> {
  const saved = store.get(key)
  if (saved !== null && saved !== '') return hotkeyFromSecret(saved)
  const hotkey = await generateHotkey()
  store.set(key, hotkey.secret)
  return hotkey
}

export class IdentityError extends WebtensorError {
  override name = 'IdentityError'
}

/**
 * btcli keyfiles, as the bittensor wallet (opentensor/btwallet, `src/keyfile.rs`) writes them.
 * Pure: bytes in, keys out; the files themselves are read in `wallet-files.ts`.
 *
 * A keyfile is JSON (`accountId`, `publicKey`, `privateKey`, `secretPhrase`, `secretSeed`,
 * `ss58Address`; each a string or null), stored as is (hotkeys, `coldkeypub.txt`) or encrypted
 * (coldkeys) in one of three formats, told apart by their first bytes:
 *  - `$NACL`: libsodium secretbox (XSalsa20-Poly1305) under a key from argon2i (libsodium
 *    `crypto_pwhash_argon2i`, OPSLIMIT/MEMLIMIT_SENSITIVE: 8 passes over 512 MiB) of the password
 *    with a fixed salt; then the 24-byte nonce and the box. What btcli writes today.
 *  - `$ANSIBLE_VAULT;1.1;AES256`: Ansible Vault (PBKDF2-SHA256, 10000 rounds, 80 bytes → AES-256
 *    key, HMAC key, CTR counter; AES-256-CTR over PKCS#7-padded text; HMAC-SHA256 of the
 *    ciphertext); written by bittensor before 6.x.
 *  - `gAAAAA`: Fernet (AES-128-CBC + HMAC-SHA256) under PBKDF2-SHA256 of the password with a
 *    fixed salt and 10,000,000 rounds; the oldest bittensor coldkeys.
 * Every input is treated as hostile: sizes, field types and the MAC are checked before use, and no
 * message ever quotes a secret, the password, or the file's content.
 */
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js'
import { cbc, ctr } from '@noble/ciphers/aes.js'
import { argon2iAsync } from '@noble/hashes/argon2.js'
import { hmac } from '@noble/hashes/hmac.js'
import { pbkdf2Async } from '@noble/hashes/pbkdf2.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Keyring } from '@polkadot/keyring'
import { hexToU8a, isHex, u8aEq, u8aToHex } from '@polkadot/util'
import { base64Decode, cryptoWaitReady, decodeAddress, encodeAddress, mnemonicToMiniSecret } from '@polkadot/util-crypto'
import { WebtensorError } from '../errors.ts'
import { canonicalSecretKey, hotkeyFromSecret, pairFromSecretKey, SS58_PREFIX, type Hotkey } from './identity.ts'

/**
 * A keyfile that cannot be used. `code`: `bad_keyfile` (not a keyfile, or damaged),
 * `unsupported_keyfile` (a format this build does not read), `wrong_password`,
 * `password_needed`, `address_mismatch` (the keys in the file disagree), `no_secret` (the file
 * holds a public key only).
 */
export class KeyfileError extends WebtensorError {
  override name = 'KeyfileError'
}

/** The password does not open the keyfile (or the file was altered: the two look the same). */
export class WrongPasswordError extends KeyfileError {
  override name = 'WrongPasswordError'
  constructor(format: string) {
    super(`wrong password for this ${format} keyfile (or the file was altered)`, { code: 'wrong_password' })
  }
}

/** How a keyfile is stored. */
export type KeyfileEncryption = 'none' | 'nacl' | 'ansible' | 'legacy'

/** Names for messages, as btcli says them. */
const FORMAT_NAME: Record<KeyfileEncryption, string> = { none: 'unencrypted', nacl: 'NaCl', ansible: 'Ansible Vault', legacy: 'legacy (Fernet)' }

/** Larger than any keyfile: refuse bigger input before parsing it. */
export const MAX_KEYFILE_BYTES = 64 * 1024

const ascii = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s)
const startsWith = (data: Uint8Array, prefix: string): boolean => {
  const p = ascii(prefix)
  return data.length >= p.length && p.every((b, i) => data[i] === b)
}

/** The encryption of keyfile `data`, from its first bytes (btwallet's `keyfile_data_encryption_method`). */
export function keyfileEncryption(data: Uint8Array): KeyfileEncryption {
  if (startsWith(data, '$NACL')) return 'nacl'
  if (startsWith(data, '$ANSIBLE_VAULT')) return 'ansible'
  if (startsWith(data, 'gAAAAA')) return 'legacy'
  return 'none'
}

// ---- $NACL ---------------------------------------------------------------------------------

/** btwallet's `NACL_SALT`. */
export const NACL_SALT = new Uint8Array([0x13, 0x71, 0x83, 0xdf, 0xf1, 0x5a, 0x09, 0xbc, 0x9c, 0x90, 0xb5, 0x51, 0x87, 0x39, 0xe9, 0xb1])
/**
 * libsodium's `crypto_pwhash_argon2i_OPSLIMIT_SENSITIVE` / `MEMLIMIT_SENSITIVE` (bytes), which
 * btwallet (sodiumoxide `argon2i13`) and older bittensor (PyNaCl `pwhash.argon2i`) pass.
 * `crypto_pwhash_argon2i` runs Argon2i v1.3 with t = opslimit, m = memlimit / 1024 KiB, p = 1.
 */
export const NACL_OPSLIMIT = 8
export const NACL_MEMLIMIT = 536_870_912
const NACL_NONCE_BYTES = 24
const SECRETBOX_MAC_BYTES = 16

/** Argon2i v1.3 with p = 1 and a 32-byte output; replaceable (e.g. by a wasm build) through `KeyfileOptions`. */
export type Argon2i = (password: Uint8Array, salt: Uint8Array, t: number, mKiB: number) => Promise<Uint8Array>

export interface KeyfileOptions {
  /** Argon2i for `$NACL` (default: `@noble/hashes`, pure JS: about 20 s of CPU for the real parameters). */
  argon2i?: Argon2i
  /** Called with 0..1 while the `$NACL` key is derived (only with the default argon2i). */
  onProgress?: (fraction: number) => void
}

/** The secretbox key of `password` for `$NACL` keyfiles (the slow part, by design). */
export async function naclKey(password: string, options: KeyfileOptions = {}): Promise<Uint8Array> {
  const pw = ascii(password)
  if (options.argon2i !== undefined) return options.argon2i(pw, NACL_SALT, NACL_OPSLIMIT, NACL_MEMLIMIT / 1024)
  return argon2iAsync(pw, NACL_SALT, {
    t: NACL_OPSLIMIT,
    m: NACL_MEMLIMIT / 1024,
    p: 1,
    dkLen: 32,
    version: 0x13,
    maxmem: NACL_MEMLIMIT + 1024 * 1024,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  })
}

/** Opens a `$NACL` keyfile with its key (from `naclKey`). Throws `WrongPasswordError` when the MAC fails. */
export function openNacl(data: Uint8Array, key: Uint8Array): Uint8Array {
  const body = data.subarray(5)
  if (keyfileEncryption(data) !== 'nacl' || body.length < NACL_NONCE_BYTES + SECRETBOX_MAC_BYTES) {
    throw new KeyfileError('not a NaCl keyfile: too short for a nonce and a MAC', { code: 'bad_keyfile' })
  }
  try {
    return xsalsa20poly1305(key, body.subarray(0, NACL_NONCE_BYTES)).decrypt(body.subarray(NACL_NONCE_BYTES))
  } catch {
    throw new WrongPasswordError(FORMAT_NAME.nacl)
  }
}

/** A `$NACL` keyfile of `plaintext` under `key` (btwallet's `encrypt_keyfile_data`): `$NACL`, nonce, box. */
export function sealNacl(plaintext: Uint8Array, key: Uint8Array, nonce: Uint8Array = globalThis.crypto.getRandomValues(new Uint8Array(NACL_NONCE_BYTES))): Uint8Array {
  if (nonce.length !== NACL_NONCE_BYTES) throw new KeyfileError('a NaCl nonce is 24 bytes', { code: 'bad_keyfile' })
  const box = xsalsa20poly1305(key, nonce).encrypt(plaintext)
  const out = new Uint8Array(5 + NACL_NONCE_BYTES + box.length)
  out.set(ascii('$NACL'))
  out.set(nonce, 5)
  out.set(box, 5 + NACL_NONCE_BYTES)
  return out
}

// ---- Ansible Vault -------------------------------------------------------------------------

const unhex = (text: string, what: string): Uint8Array => {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new KeyfileError(`damaged Ansible Vault keyfile: ${what} is not hex`, { code: 'bad_keyfile' })
  return hexToU8a(`0x${text}`)
}

/** Decrypts an Ansible Vault 1.1/1.2 AES256 keyfile (what `ansible-vault` and bittensor < 6 write). */
export async function openAnsibleVault(data: Uint8Array, password: string): Promise<Uint8Array> {
  const text = new TextDecoder().decode(data)
  const [header = '', ...lines] = text.split(/\r?\n/)
  const fields = header.trim().split(';')
  if (fields[0] !== '$ANSIBLE_VAULT' || !['1.1', '1.2'].includes(fields[1] ?? '')) {
    throw new KeyfileError('damaged Ansible Vault keyfile: bad header', { code: 'bad_keyfile' })
  }
  if (fields[2] !== 'AES256') {
    throw new KeyfileError(`Ansible Vault keyfile with cipher ${JSON.stringify(fields[2]?.slice(0, 20))}: only AES256 exists in Ansible Vault 1.1/1.2`, { code: 'unsupported_keyfile' })
  }
  const inner = new TextDecoder().decode(unhex(lines.join('').replace(/\s+/g, ''), 'the body')).split('\n')
  if (inner.length !== 3) throw new KeyfileError('damaged Ansible Vault keyfile: expected salt, HMAC and ciphertext', { code: 'bad_keyfile' })
  const salt = unhex(inner[0]!, 'the salt')
  const mac = unhex(inner[1]!, 'the HMAC')
  const ciphertext = unhex(inner[2]!, 'the ciphertext')
  if (mac.length !== 32 || ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new KeyfileError('damaged Ansible Vault keyfile: bad HMAC or ciphertext length', { code: 'bad_keyfile' })
  }
  const derived = await pbkdf2Async(sha256, ascii(password), salt, { c: 10_000, dkLen: 80 })
  if (!constantTimeEqual(hmac(sha256, derived.subarray(32, 64), ciphertext), mac)) throw new WrongPasswordError(FORMAT_NAME.ansible)
  const padded = ctr(derived.subarray(0, 32), derived.subarray(64, 80)).decrypt(ciphertext)
  const pad = padded[padded.length - 1]!
  if (pad < 1 || pad > 16 || !padded.subarray(padded.length - pad).every((b) => b === pad)) {
    throw new KeyfileError('damaged Ansible Vault keyfile: bad padding', { code: 'bad_keyfile' })
  }
  return padded.slice(0, padded.length - pad)
}

// ---- legacy Fernet -------------------------------------------------------------------------

/** The fixed salt of bittensor's legacy (Fernet) keyfiles. */
const LEGACY_SALT = ascii('Iguesscyborgslikemyselfhaveatendencytobeparanoidaboutourorigins')
/** Rounds of PBKDF2-SHA256 for legacy keyfiles: ten million, so the native WebCrypto one is used. */
export const LEGACY_ROUNDS = 10_000_000

/** Decrypts a legacy Fernet keyfile (PBKDF2-SHA256 with the fixed salt, 10,000,000 rounds). */
export async function openLegacyFernet(data: Uint8Array, password: string, rounds = LEGACY_ROUNDS): Promise<Uint8Array> {
  let token: Uint8Array
  try {
    const b64 = new TextDecoder().decode(data).trim().replace(/-/g, '+').replace(/_/g, '/')
    if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) throw new Error('not base64')
    token = base64Decode(b64)
  } catch {
    throw new KeyfileError('damaged legacy (Fernet) keyfile: not base64url', { code: 'bad_keyfile' })
  }
  // version (1) | timestamp (8) | IV (16) | ciphertext (n × 16) | HMAC (32)
  if (token.length < 1 + 8 + 16 + 16 + 32 || token[0] !== 0x80 || (token.length - 57) % 16 !== 0) {
    throw new KeyfileError('damaged legacy (Fernet) keyfile: bad token layout', { code: 'bad_keyfile' })
  }
  const subtle = globalThis.crypto.subtle
  const base = await subtle.importKey('raw', ascii(password), 'PBKDF2', false, ['deriveBits'])
  const key = new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: LEGACY_SALT, iterations: rounds }, base, 256))
  const signed = token.subarray(0, token.length - 32)
  if (!constantTimeEqual(hmac(sha256, key.subarray(0, 16), signed), token.subarray(token.length - 32))) throw new WrongPasswordError(FORMAT_NAME.legacy)
  try {
    return cbc(key.subarray(16, 32), token.subarray(9, 25)).decrypt(token.subarray(25, token.length - 32))
  } catch {
    throw new KeyfileError('damaged legacy (Fernet) keyfile: bad padding', { code: 'bad_keyfile' })
  }
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/**
 * The plaintext of keyfile `data`: itself when not encrypted, else decrypted with `password`.
 * Throws `WrongPasswordError`, or `KeyfileError` with `password_needed` / `bad_keyfile`.
 */
export async function decryptKeyfile(data: Uint8Array, password: string | undefined, options: KeyfileOptions = {}): Promise<Uint8Array> {
  if (data.length > MAX_KEYFILE_BYTES) throw new KeyfileError(`not a keyfile: ${data.length} bytes, more than ${MAX_KEYFILE_BYTES}`, { code: 'bad_keyfile' })
  const format = keyfileEncryption(data)
  if (format === 'none') return data
  if (password === undefined) {
    throw new KeyfileError(`this keyfile is encrypted (${FORMAT_NAME[format]}): give its password`, { code: 'password_needed' })
  }
  switch (format) {
    case 'nacl':
      return openNacl(data, await naclKey(password, options))
    case 'ansible':
      return openAnsibleVault(data, password)
    case 'legacy':
      return openLegacyFernet(data, password)
  }
}

// ---- the JSON inside -----------------------------------------------------------------------

/** The fields of a keyfile (every one optional; a string or null when present). */
export interface KeyfileFields {
  accountId?: string | null
  publicKey?: string | null
  privateKey?: string | null
  secretPhrase?: string | null
  secretSeed?: string | null
  ss58Address?: string | null
}

const FIELDS = ['accountId', 'publicKey', 'privateKey', 'secretPhrase', 'secretSeed', 'ss58Address'] as const

/**
 * Parses decrypted keyfile bytes: the JSON object btwallet writes, or the bare `0x` public key
 * some old `coldkeypub.txt` files hold. Unknown fields are ignored; a known one that is not a
 * string or null is refused. Encrypted data is refused with a message naming its format.
 */
export function parseKeyfile(data: Uint8Array | string): KeyfileFields {
  const bytes = typeof data === 'string' ? ascii(data) : data
  if (bytes.length > MAX_KEYFILE_BYTES) throw new KeyfileError(`not a keyfile: ${bytes.length} bytes, more than ${MAX_KEYFILE_BYTES}`, { code: 'bad_keyfile' })
  const format = keyfileEncryption(bytes)
  if (format !== 'none') throw new KeyfileError(`this keyfile is encrypted (${FORMAT_NAME[format]}): decrypt it first`, { code: 'password_needed' })
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim()
  } catch {
    throw new KeyfileError('not a keyfile: not UTF-8 text', { code: 'bad_keyfile' })
  }
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return { publicKey: text }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new KeyfileError('not a keyfile: not JSON (nor a NaCl, Ansible Vault or legacy encrypted keyfile)', { code: 'bad_keyfile' })
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new KeyfileError('not a keyfile: the JSON is not an object', { code: 'bad_keyfile' })
  const out: KeyfileFields = {}
  for (const field of FIELDS) {
    const value: unknown = (json as Record<string, unknown>)[field]
    if (value === undefined) continue
    if (value !== null && typeof value !== 'string') throw new KeyfileError(`not a keyfile: ${field} is neither a string nor null`, { code: 'bad_keyfile' })
    out[field] = value
  }
  return out
}

/** A public key and its SS58 address (prefix 42). */
export interface PublicKey {
  readonly address: string
  readonly publicKey: Uint8Array
}

/** The public keys the file states (`publicKey`, `accountId`, `ss58Address`), checked to agree. */
function statedPublicKey(fields: KeyfileFields): Uint8Array | null {
  const stated: Array<[string, Uint8Array]> = []
  for (const field of ['publicKey', 'accountId'] as const) {
    const v = fields[field]
    if (typeof v !== 'string') continue
    if (!isHex(v, 256)) throw new KeyfileError(`damaged keyfile: ${field} is not a 0x 32-byte hex key`, { code: 'bad_keyfile' })
    stated.push([field, hexToU8a(v)])
  }
  if (typeof fields.ss58Address === 'string') {
    let key: Uint8Array
    try {
      key = decodeAddress(fields.ss58Address)
    } catch {
      throw new KeyfileError('damaged keyfile: ss58Address is not a valid SS58 address', { code: 'bad_keyfile' })
    }
    if (key.length !== 32) throw new KeyfileError('damaged keyfile: ss58Address is not a 32-byte account', { code: 'bad_keyfile' })
    stated.push(['ss58Address', key])
  }
  const first = stated[0]
  if (first === undefined) return null
  for (const [field, key] of stated.slice(1)) {
    if (!u8aEq(key, first[1])) throw new KeyfileError(`the keyfile disagrees with itself: ${field} is not the key of ${first[0]}`, { code: 'address_mismatch' })
  }
  return first[1]
}

/** The public key of a keyfile with or without secrets (e.g. `coldkeypub.txt`). */
export function publicKeyFromKeyfile(fields: KeyfileFields): PublicKey {
  const key = statedPublicKey(fields)
  if (key === null) throw new KeyfileError('the keyfile has no public key (publicKey, accountId or ss58Address)', { code: 'bad_keyfile' })
  return { publicKey: key, address: encodeAddress(key, SS58_PREFIX) }
}

/**
 * The secret string (for `hotkeyFromSecret`) that recreates the key of a keyfile, chosen as
 * btwallet does: `secretPhrase`, else `secretSeed`, else `privateKey` (64 bytes, schnorrkel's
 * canonical encoding; the "ed25519" encoding of older tools is accepted when the file's public
 * key says so). Null for a public-key-only file.
 */
export async function secretFromKeyfile(fields: KeyfileFields): Promise<string | null> {
  if (typeof fields.secretPhrase === 'string' && fields.secretPhrase.trim() !== '') return fields.secretPhrase.trim().split(/\s+/).join(' ')
  if (typeof fields.secretSeed === 'string' && fields.secretSeed !== '') {
    const seed = fields.secretSeed.startsWith('0x') ? fields.secretSeed : `0x${fields.secretSeed}`
    if (!isHex(seed, 256)) throw new KeyfileError('damaged keyfile: secretSeed is not a 0x 32-byte hex seed', { code: 'bad_keyfile' })
    return seed.toLowerCase()
  }
  if (typeof fields.privateKey === 'string' && fields.privateKey !== '') {
    const hex = fields.privateKey.startsWith('0x') ? fields.privateKey : `0x${fields.privateKey}`
    if (!isHex(hex, 512)) throw new KeyfileError('damaged keyfile: privateKey is not a 0x 64-byte hex key', { code: 'bad_keyfile' })
    const bytes = hexToU8a(hex)
    const stated = statedPublicKey(fields)
    // btwallet's canonical reading first; an older tool's "ed25519" encoding (the scalar times 8)
    // is taken only when it, and not the canonical reading, gives the public key the file states.
    if (stated !== null && (bytes[0]! & 7) === 0) {
      await cryptoWaitReady()
      const keyring = new Keyring({ type: 'sr25519', ss58Format: SS58_PREFIX })
      const gives = (canonical: Uint8Array): boolean => {
        try {
          return u8aEq(pairFromSecretKey(keyring, canonical).publicKey, stated)
        } catch {
          return false
        }
      }
      const canonical = bytes.slice()
      for (let i = 0; i < 32; i++) canonical[i] = ((bytes[i]! >> 3) | ((bytes[i + 1] ?? 0) << 5)) & 0xff
      canonical[31] = bytes[31]! >> 3
      if (!gives(bytes) && gives(canonical)) return u8aToHex(canonical)
    }
    return hex.toLowerCase()
  }
  return null
}

/**
 * The keypair of a keyfile, checked against the public key, account id and SS58 address the
 * file states: a file whose secret makes another key is refused (`address_mismatch`), so a
 * damaged or doctored file never signs as someone else. A public-key-only file is `no_secret`.
 */
export async function keyFromKeyfile(fields: KeyfileFields): Promise<Hotkey> {
  const secret = await secretFromKeyfile(fields)
  if (secret === null) throw new KeyfileError('the keyfile holds a public key only (no secretPhrase, secretSeed or privateKey)', { code: 'no_secret' })
  let key: Hotkey
  try {
    key = await hotkeyFromSecret(secret)
  } catch (err) {
    const field = fields.secretPhrase ? 'secretPhrase' : fields.secretSeed ? 'secretSeed' : 'privateKey'
    throw new KeyfileError(`damaged keyfile: its ${field} does not make a key (${(err as Error).message})`, { code: 'bad_keyfile' })
  }
  const stated = statedPublicKey(fields)
  if (stated !== null && !u8aEq(stated, key.publicKey)) {
    throw new KeyfileError(`the keyfile's secret makes ${key.address}, not the ${encodeAddress(stated, SS58_PREFIX)} it states: refusing it`, { code: 'address_mismatch' })
  }
  return key
}

/**
 * The unencrypted keyfile JSON of `key`, with the fields btwallet writes (`secretPhrase` and
 * `secretSeed` only when the key was made from a mnemonic or a seed).
 */
export function keyfileJson(key: Hotkey): string {
  const hex = u8aToHex(key.publicKey)
  const fields: Record<string, string> = { accountId: hex, publicKey: hex, privateKey: u8aToHex(canonicalSecretKey(key.pair)) }
  const secret = key.secret
  if (/^0x[0-9a-fA-F]{64}$/.test(secret)) fields.secretSeed = secret.toLowerCase()
  else if (!secret.includes('/') && !secret.startsWith('0x')) {
    fields.secretPhrase = secret
    // The seed btwallet stores next to a phrase is substrate's mini secret of the phrase.
    fields.secretSeed = u8aToHex(mnemonicToMiniSecret(secret))
  }
  fields.ss58Address = key.address
  return JSON.stringify(fields)
}

/**
 * What a user pasted (or picked) to import a hotkey, as the secret `hotkeyFromSecret` takes: a
 * btcli hotkey keyfile's JSON (`~/.bittensor/wallets/<name>/hotkeys/<hotkey>`) becomes its
 * mnemonic, seed or private key, checked against the address it states; an encrypted keyfile is
 * refused with what to do; anything else (a mnemonic, `0x` seed, `//Dev` URI) is returned trimmed.
 */
export async function secretFromImport(text: string): Promise<string> {
  const trimmed = text.trim()
  const format = keyfileEncryption(ascii(trimmed.slice(0, 16)))
  if (format !== 'none') {
    throw new KeyfileError(`this is an encrypted (${FORMAT_NAME[format]}) keyfile, probably a coldkey: import the hotkey file (hotkeys/<name>) or its mnemonic instead`, { code: 'unsupported_keyfile' })
  }
  if (!trimmed.startsWith('{')) return trimmed
  return (await keyFromKeyfile(parseKeyfile(trimmed))).secret
}

/**
 * The page's `SecretStore`: secrets kept in IndexedDB, each encrypted with AES-GCM under a
 * 256-bit key that WebCrypto generated as non-extractable. The key is kept in IndexedDB too
 * (a `CryptoKey` is structured-cloneable, its bytes never reach JavaScript), so the stored
 * ciphertext is useless without this origin's browser profile, and no script (ours, an
 * extension's content script reading storage, a devtools dump) can read the key bytes out.
 * It does not stop code running in the page itself from asking the store to decrypt; it keeps
 * the secret off disk in plain text and out of `localStorage`, where every script of the origin
 * and every backup of the profile could read it.
 *
 * Each write uses a fresh random 96-bit IV, and the ciphertext is bound to its slot (the key
 * name is the AES-GCM additional data), so records cannot be swapped between slots. A secret
 * found in plain `localStorage` (older pages kept it there) is encrypted, read back, and only
 * then deleted from `localStorage`.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import { WebtensorError } from '../errors.ts'
import type { SecretStore } from './identity.ts'

/** An encrypted secret as stored. */
export interface SealedSecret {
  v: 1
  iv: Uint8Array
  ciphertext: Uint8Array
}

interface SecretDb extends DBSchema {
  /** The wrapping key, under `KEY_ID`. */
  keys: { key: string; value: CryptoKey }
  /** Sealed secrets by name. */
  secrets: { key: string; value: SealedSecret }
}

const KEY_ID = 'aes-gcm-256'
const IV_BYTES = 12

/** The slice of `localStorage` the migration uses. */
export interface LegacyStorage {
  getItem(key: string): string | null
  removeItem(key: string): void
}

export interface BrowserSecretStoreOptions {
  /** IndexedDB database name (tests use their own). */
  dbName?: string
  /** Where older pages kept secrets in plain text (`localStorage`); migrated on first read. */
  legacy?: LegacyStorage | null
}

/** A `SecretStore` that answers asynchronously and can be closed. */
export interface BrowserSecretStore extends SecretStore {
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<void>
  /** Closes the database connection. */
  close(): Promise<void>
}

export class SecretStoreError extends WebtensorError {
  override name = 'SecretStoreError'
}

/**
 * Why this context cannot keep encrypted secrets (no WebCrypto outside secure contexts, no
 * IndexedDB), or null when it can.
 */
export function secretStoreUnavailable(): string | null {
  if (globalThis.crypto?.subtle === undefined) return 'WebCrypto is not available here (the page is not a secure context: https or localhost)'
  if (typeof globalThis.indexedDB === 'undefined') return 'IndexedDB is not available here'
  return null
}

/**
 * Opens the encrypted secret store.
 * @example const store = await openBrowserSecretStore({ legacy: localStorage })
 */
export async function openBrowserSecretStore(options: BrowserSecretStoreOptions = {}): Promise<BrowserSecretStore> {
  const unavailable = secretStoreUnavailable()
  if (unavailable !== null) throw new SecretStoreError(unavailable, { code: 'secret_store_unavailable' })
  const db = await openDB<SecretDb>(options.dbName ?? 'webtensor-secrets', 1, {
    upgrade(d) {
      d.createObjectStore('keys')
      d.createObjectStore('secrets')
    },
  })
  const legacy = options.legacy ?? null
  let key: Promise<CryptoKey> | undefined
  const wrappingKey = (): Promise<CryptoKey> => (key ??= loadOrCreateKey(db))

  async function read(name: string): Promise<string | null> {
    const sealed = await db.get('secrets', name)
    return sealed === undefined ? null : open(await wrappingKey(), name, sealed)
  }

  async function write(name: string, value: string): Promise<void> {
    await db.put('secrets', await seal(await wrappingKey(), name, value), name)
  }

  return {
    async get(name) {
      const stored = await read(name)
      const plain = legacy?.getItem(name) ?? null
      if (stored !== null) {
        // A plain copy left behind by an interrupted migration.
        if (plain !== null) legacy?.removeItem(name)
        return stored
      }
      if (plain === null || plain === '') return null
      await write(name, plain)
      if ((await read(name)) !== plain) throw new SecretStoreError('migrating the secret from localStorage failed: it did not read back', { code: 'secret_migration_failed' })
      legacy?.removeItem(name)
      return plain
    },
    async set(name, value) {
      await write(name, value)
      legacy?.removeItem(name)
    },
    async close() {
      db.close()
    },
  }
}

/**
 * The origin's wrapping key, made on first use. Two tabs may race to make it: the check and the
 * insert share one read-write transaction, so both end up with the first one stored.
 */
async function loadOrCreateKey(db: IDBPDatabase<SecretDb>): Promise<CryptoKey> {
  const existing = await db.get('keys', KEY_ID)
  if (existing !== undefined) return existing
  const fresh = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
  const tx = db.transaction('keys', 'readwrite')
  const raced = await tx.store.get(KEY_ID)
  if (raced === undefined) await tx.store.put(fresh, KEY_ID)
  await tx.done
  return raced ?? fresh
}

const slot = (name: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(`webtensor-secret:${name}`)

/** Encrypts `value` for the slot `name` with a fresh IV. */
export async function seal(key: CryptoKey, name: string, value: string): Promise<SealedSecret> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: slot(name) }, key, new TextEncoder().encode(value))
  return { v: 1, iv, ciphertext: new Uint8Array(ciphertext) }
}

/** Decrypts a sealed secret of the slot `name`; throws `SecretStoreError` when it cannot be read. */
export async function open(key: CryptoKey, name: string, sealed: SealedSecret): Promise<string> {
  if (sealed?.v !== 1 || !(sealed.iv instanceof Uint8Array) || !(sealed.ciphertext instanceof Uint8Array)) {
    throw new SecretStoreError(`the stored secret "${name}" has an unknown format`, { code: 'secret_unreadable' })
  }
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(sealed.iv), additionalData: slot(name) }, key, new Uint8Array(sealed.ciphertext))
    return new TextDecoder('utf-8', { fatal: true }).decode(plain)
  } catch {
    throw new SecretStoreError(`the stored secret "${name}" cannot be decrypted with this browser's key (import the secret again, or clear the site's data)`, {
      code: 'secret_unreadable',
    })
  }
}

/** A store that keeps secrets in memory only, for contexts that cannot encrypt (they last until the page closes). */
export function memorySecretStore(): BrowserSecretStore {
  const map = new Map<string, string>()
  return {
    get: async (name) => map.get(name) ?? null,
    set: async (name, value) => void map.set(name, value),
    close: async () => undefined,
  }
}

// The page's encrypted secret store, on fake-indexeddb and Node's WebCrypto (the browser test in
// test/e2e/secrets.browser.test.ts runs it in Chromium).
import 'fake-indexeddb/auto'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openDB } from 'idb'
import { generateHotkey, loadOrCreateHotkey, replaceHotkey, IdentityError, HOTKEY_KEY } from './identity.ts'
import { memorySecretStore, openBrowserSecretStore, SecretStoreError, type LegacyStorage, type SealedSecret } from './secret-idb.ts'

const MNEMONIC = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk'
let dbCount = 0
const freshDb = (): string => `wt-secrets-test-${++dbCount}`

/** Everything in the database, as the bytes an attacker reading the profile would see. */
async function rawRecords(dbName: string): Promise<{ keys: unknown[]; secrets: SealedSecret[] }> {
  const db = await openDB(dbName, 1)
  const out = { keys: await db.getAll('keys'), secrets: (await db.getAll('secrets')) as SealedSecret[] }
  db.close()
  return out
}

function fakeLocalStorage(entries: Record<string, string> = {}): LegacyStorage & { map: Map<string, string> } {
  const map = new Map(Object.entries(entries))
  return { map, getItem: (k) => map.get(k) ?? null, removeItem: (k) => void map.delete(k) }
}

const contains = (haystack: Uint8Array, needle: Uint8Array): boolean => Buffer.from(haystack).includes(Buffer.from(needle))

test('a secret is stored encrypted under a non-extractable key and reads back, across reopening', async () => {
  const dbName = freshDb()
  const store = await openBrowserSecretStore({ dbName })
  assert.equal(await store.get(HOTKEY_KEY), null)
  await store.set(HOTKEY_KEY, MNEMONIC)
  assert.equal(await store.get(HOTKEY_KEY), MNEMONIC)
  await store.close()

  const { keys, secrets } = await rawRecords(dbName)
  assert.equal(keys.length, 1)
  const key = keys[0] as CryptoKey
  assert.equal(key.extractable, false)
  assert.deepEqual(key.algorithm, { name: 'AES-GCM', length: 256 })
  await assert.rejects(crypto.subtle.exportKey('raw', key), 'the key bytes cannot be read out')
  assert.equal(secrets.length, 1)
  const plain = new TextEncoder().encode(MNEMONIC)
  assert.equal(contains(secrets[0]!.ciphertext, plain), false)
  for (const word of MNEMONIC.split(' ')) assert.equal(contains(secrets[0]!.ciphertext, new TextEncoder().encode(word)), false, word)
  assert.equal(secrets[0]!.iv.length, 12)

  const reopened = await openBrowserSecretStore({ dbName })
  assert.equal(await reopened.get(HOTKEY_KEY), MNEMONIC)
  await reopened.close()
})

test('every write uses a fresh IV', async () => {
  const dbName = freshDb()
  const store = await openBrowserSecretStore({ dbName })
  const ivs = new Set<string>()
  const ciphertexts = new Set<string>()
  for (let i = 0; i < 5; i++) {
    await store.set(HOTKEY_KEY, MNEMONIC)
    const [sealed] = (await rawRecords(dbName)).secrets
    ivs.add(Buffer.from(sealed!.iv).toString('hex'))
    ciphertexts.add(Buffer.from(sealed!.ciphertext).toString('hex'))
  }
  assert.equal(ivs.size, 5)
  assert.equal(ciphertexts.size, 5, 'the same secret encrypts differently each time')
  await store.close()
})

test('a plain secret in localStorage is migrated: encrypted, then deleted from localStorage', async () => {
  const dbName = freshDb()
  const legacy = fakeLocalStorage({ [HOTKEY_KEY]: MNEMONIC, unrelated: 'kept' })
  const store = await openBrowserSecretStore({ dbName, legacy })
  const hotkey = await loadOrCreateHotkey(store)
  assert.equal(hotkey.secret, MNEMONIC)
  assert.equal(legacy.map.has(HOTKEY_KEY), false, 'the plain copy is gone')
  assert.equal(legacy.map.get('unrelated'), 'kept')
  assert.equal((await rawRecords(dbName)).secrets.length, 1)
  // A plain copy that an interrupted migration left behind is removed on the next read.
  legacy.map.set(HOTKEY_KEY, MNEMONIC)
  assert.equal(await store.get(HOTKEY_KEY), MNEMONIC)
  assert.equal(legacy.map.has(HOTKEY_KEY), false)
  await store.close()
  const again = await loadOrCreateHotkey(await openBrowserSecretStore({ dbName, legacy }))
  assert.equal(again.address, hotkey.address)
})

test('two tabs opening the store at once share one key', async () => {
  const dbName = freshDb()
  const [a, b] = await Promise.all([openBrowserSecretStore({ dbName }), openBrowserSecretStore({ dbName })])
  await Promise.all([a.set('one', 'first secret'), b.set('two', 'second secret')])
  assert.equal((await rawRecords(dbName)).keys.length, 1)
  assert.equal(await a.get('two'), 'second secret')
  assert.equal(await b.get('one'), 'first secret')
  await a.close()
  await b.close()
})

test('a tampered or moved record is refused with SecretStoreError, never read as another secret', async () => {
  const dbName = freshDb()
  const store = await openBrowserSecretStore({ dbName })
  await store.set('a', MNEMONIC)
  const db = await openDB(dbName, 1)
  const sealed = (await db.get('secrets', 'a')) as SealedSecret
  // Moved to another slot: the slot name is authenticated.
  await db.put('secrets', sealed, 'b')
  const flipped = { ...sealed, ciphertext: sealed.ciphertext.slice() }
  flipped.ciphertext[0]! ^= 1
  await db.put('secrets', flipped, 'c')
  await db.put('secrets', { v: 2 }, 'd')
  db.close()
  for (const name of ['b', 'c', 'd']) {
    await assert.rejects(store.get(name), (err: unknown) => {
      assert.ok(err instanceof SecretStoreError)
      assert.equal(err.code, 'secret_unreadable')
      assert.ok(!err.message.includes(MNEMONIC.split(' ')[0]!))
      return true
    })
  }
  assert.equal(await store.get('a'), MNEMONIC)
  await store.close()
})

test('importing a bad secret changes nothing; a good one replaces the stored hotkey', async () => {
  const store = await openBrowserSecretStore({ dbName: freshDb() })
  const original = await loadOrCreateHotkey(store)
  for (const bad of ['', '   ', 'not a mnemonic at all', `${MNEMONIC} extra`, '//Alice//']) {
    await assert.rejects(replaceHotkey(store, bad), IdentityError, JSON.stringify(bad))
  }
  assert.equal((await loadOrCreateHotkey(store)).address, original.address)
  const imported = await replaceHotkey(store, `  ${MNEMONIC}\n`)
  assert.equal(await store.get(HOTKEY_KEY), MNEMONIC)
  assert.equal((await loadOrCreateHotkey(store)).address, imported.address)
  assert.notEqual(imported.address, original.address)
  await store.close()
})

test('the in-memory fallback keeps a hotkey for the life of the page only', async () => {
  const store = memorySecretStore()
  const hotkey = await loadOrCreateHotkey(store)
  assert.equal((await loadOrCreateHotkey(store)).address, hotkey.address)
  assert.notEqual((await loadOrCreateHotkey(memorySecretStore())).address, hotkey.address)
})

test('a hotkey does not print its secret', async () => {
  const { inspect } = await import('node:util')
  const hotkey = await generateHotkey()
  const words = hotkey.secret.split(' ')
  assert.equal(words.length, 12)
  for (const shown of [inspect(hotkey, { depth: 4 }), JSON.stringify({ ...hotkey, pair: undefined }), String(Object.keys(hotkey))]) {
    assert.ok(!shown.includes(hotkey.secret) && !shown.includes(`${words[0]} ${words[1]}`), shown.slice(0, 200))
  }
})

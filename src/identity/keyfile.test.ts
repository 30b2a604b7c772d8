import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Keyring } from '@polkadot/keyring'
import { hexToU8a, u8aToHex } from '@polkadot/util'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { hotkeyFromSecret } from './identity.ts'
import {
  decryptKeyfile,
  keyfileEncryption,
  KeyfileError,
  keyfileJson,
  keyFromKeyfile,
  naclKey,
  openAnsibleVault,
  openNacl,
  parseKeyfile,
  publicKeyFromKeyfile,
  sealNacl,
  secretFromImport,
  WrongPasswordError,
} from './keyfile.ts'

// Golden files made by the wallets' own libraries (testdata/README.md says how).
const golden = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)))
const PASSWORD = 'correct horse battery staple'
// opentensor/btwallet tests/test_keyfile.py (MIT): test_create_sr25519_keypair, test_create_keypair_from_private_key.
const PHRASE = 'old leopard transfer rib spatial phone calm indicate online fire caution review'
const ADDRESS = '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX'
const PUBLIC = '0xe4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446'
const PRIVATE = '0x1f1995bdf3a17b60626a26cfe6f564b337d46056b7a1281b64c649d592ccda0a9cffd34d9fb01cae1fba61aeed184c817442a2186d5172416729a4b54dd4b84e'
const SEED = '0xda3cf5b1e9144931a0f0db65664aab662673b099415a7f8121b7245fb0be4143'
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'

/** Asserts a KeyfileError with `code` whose message matches and quotes no secret. */
function refusedWith(code: string, message?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof KeyfileError, String(err))
    assert.equal(err.code, code, err.message)
    if (message !== undefined) assert.match(err.message, message)
    for (const secret of [PASSWORD, 'leopard', PRIVATE.slice(2, 20), SEED.slice(2, 20)]) assert.ok(!err.message.includes(secret), err.message)
    return true
  }
}

test('an unencrypted btcli keyfile gives the btwallet test vector address, from its phrase, its seed or its private key alone', async () => {
  const fields = parseKeyfile(golden('coldkey.json'))
  assert.equal(keyfileEncryption(golden('coldkey.json')), 'none')
  assert.equal((await keyFromKeyfile(fields)).address, ADDRESS)
  const { secretPhrase: _p, ...seedOnly } = fields
  assert.equal((await keyFromKeyfile(seedOnly)).address, ADDRESS)
  const { secretSeed: _s, ...privateOnly } = seedOnly
  const fromPrivate = await keyFromKeyfile(privateOnly)
  assert.equal(fromPrivate.address, ADDRESS)
  assert.equal(u8aToHex(fromPrivate.publicKey), PUBLIC)
  // The 64-byte key signs verifiably, like the phrase's key.
  const message = new TextEncoder().encode('register me')
  const phraseKey = await hotkeyFromSecret(PHRASE)
  assert.ok(phraseKey.pair.verify(message, fromPrivate.sign(message), phraseKey.publicKey))
  // Without any stated public key the private key alone still gives the address.
  assert.equal((await keyFromKeyfile({ privateKey: PRIVATE })).address, ADDRESS)
  assert.deepEqual(publicKeyFromKeyfile(fields), { address: ADDRESS, publicKey: hexToU8a(PUBLIC) })
})

test('mnemonic and 0x seed import give the same address as @polkadot/keyring', async () => {
  await cryptoWaitReady()
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 })
  assert.equal((await hotkeyFromSecret(PHRASE)).address, keyring.addFromUri(PHRASE).address)
  assert.equal((await hotkeyFromSecret(SEED)).address, keyring.addFromUri(SEED).address)
  assert.equal((await hotkeyFromSecret(`${SEED}//hot/1`)).address, keyring.addFromUri(`${SEED}//hot/1`).address)
  assert.equal((await hotkeyFromSecret(SEED)).address, ADDRESS)
  assert.equal((await hotkeyFromSecret(PRIVATE)).address, ADDRESS)
})

test('a keyfile whose secret makes another key than it states is refused, and so is one that disagrees with itself', async () => {
  const fields = parseKeyfile(golden('coldkey.json'))
  await assert.rejects(keyFromKeyfile({ ...fields, ss58Address: ALICE, accountId: null, publicKey: null }), refusedWith('address_mismatch', /makes 5HDvhV6.*not the 5GrwvaEF.* it states/))
  await assert.rejects(keyFromKeyfile({ ...fields, ss58Address: ALICE }), refusedWith('address_mismatch', /ss58Address is not the key of publicKey/))
  await assert.rejects(keyFromKeyfile({ privateKey: PRIVATE, ss58Address: ALICE }), refusedWith('address_mismatch'))
  await assert.rejects(keyFromKeyfile({ secretSeed: '0x1234', ss58Address: ADDRESS }), refusedWith('bad_keyfile', /secretSeed is not a 0x 32-byte hex seed/))
  await assert.rejects(keyFromKeyfile({ secretPhrase: 'not a real mnemonic at all' }), refusedWith('bad_keyfile', /secretPhrase does not make a key/))
  await assert.rejects(keyFromKeyfile({ ss58Address: ADDRESS }), refusedWith('no_secret'))
})

test('coldkeypub.txt: the JSON btcli writes, or the bare 0x key of old wallets, gives the address', () => {
  assert.equal(publicKeyFromKeyfile(parseKeyfile(JSON.stringify({ accountId: PUBLIC, publicKey: PUBLIC, ss58Address: ADDRESS }))).address, ADDRESS)
  assert.equal(publicKeyFromKeyfile(parseKeyfile(`${PUBLIC}\n`)).address, ADDRESS)
  assert.equal(publicKeyFromKeyfile(parseKeyfile(JSON.stringify({ ss58Address: ADDRESS, privateKey: null }))).address, ADDRESS)
  assert.throws(() => publicKeyFromKeyfile(parseKeyfile('{}')), refusedWith('bad_keyfile', /no public key/))
})

test('what is not a keyfile is refused with a clear, typed error', () => {
  assert.throws(() => parseKeyfile('[1,2]'), refusedWith('bad_keyfile', /not an object/))
  assert.throws(() => parseKeyfile('{"secretPhrase": 12}'), refusedWith('bad_keyfile', /secretPhrase is neither a string nor null/))
  assert.throws(() => parseKeyfile('hello'), refusedWith('bad_keyfile', /not JSON/))
  assert.throws(() => parseKeyfile(new Uint8Array([0xff, 0xfe, 0x00])), refusedWith('bad_keyfile', /not UTF-8/))
  assert.throws(() => parseKeyfile(new Uint8Array(70_000).fill(0x20)), refusedWith('bad_keyfile', /more than 65536/))
  assert.throws(() => parseKeyfile(golden('coldkey.nacl')), refusedWith('password_needed', /encrypted \(NaCl\)/))
  assert.throws(() => publicKeyFromKeyfile({ ss58Address: 'nope' }), refusedWith('bad_keyfile', /not a valid SS58 address/))
})

test('the keyfile JSON written for a key reads back to the same key, with the fields btwallet writes', async () => {
  const key = await hotkeyFromSecret(PHRASE)
  const json = keyfileJson(key)
  assert.deepEqual(JSON.parse(json), JSON.parse(new TextDecoder().decode(golden('coldkey.json'))))
  assert.equal((await keyFromKeyfile(parseKeyfile(json))).address, ADDRESS)
  const fromSeed = JSON.parse(keyfileJson(await hotkeyFromSecret(SEED))) as Record<string, string>
  assert.deepEqual(Object.keys(fromSeed).sort(), ['accountId', 'privateKey', 'publicKey', 'secretSeed', 'ss58Address'])
})

test('$NACL (PyNaCl/libsodium golden file): the right password decrypts it; the same writer makes it byte for byte; a tampered file is refused', async () => {
  const file = golden('coldkey.nacl')
  assert.equal(keyfileEncryption(file), 'nacl')
  // Argon2i with libsodium's SENSITIVE limits: 8 passes over 512 MiB, the key libsodium printed.
  const key = await naclKey(PASSWORD)
  assert.equal(u8aToHex(key), '0x1d1893e9b889a5755cc057fe77990c53dce894a982e3748505f82a44c333e57d')
  const plain = openNacl(file, key)
  assert.deepEqual(plain, golden('coldkey.json'))
  assert.equal((await keyFromKeyfile(parseKeyfile(plain))).address, ADDRESS)
  assert.deepEqual(sealNacl(plain, key, new Uint8Array(24).map((_, i) => i)), file)
  for (const at of [5, 5 + 24, 5 + 24 + 16, file.length - 1]) {
    const tampered = file.slice()
    tampered[at]! ^= 0x01
    assert.throws(() => openNacl(tampered, key), (err: unknown) => err instanceof WrongPasswordError && err.code === 'wrong_password')
  }
  assert.throws(() => openNacl(file.subarray(0, 30), key), refusedWith('bad_keyfile', /too short/))
})

test('$NACL: a wrong password is WrongPasswordError (its argon2i key, stood in for by another key), and no password at all says one is needed', async () => {
  // The real derivation of a wrong password costs as much as the right one (keyfile.heavy.test.ts
  // runs it); here a stand-in argon2i checks it is asked for libsodium's parameters and returns
  // a key that is not the password's, as any wrong password's key is.
  const file = golden('coldkey.nacl')
  await assert.rejects(decryptKeyfile(file, undefined), refusedWith('password_needed', /encrypted \(NaCl\): give its password/))
  const asked: unknown[] = []
  const argon2i = async (password: Uint8Array, salt: Uint8Array, t: number, mKiB: number): Promise<Uint8Array> => {
    asked.push([new TextDecoder().decode(password), u8aToHex(salt), t, mKiB])
    return new Uint8Array(32).fill(7)
  }
  await assert.rejects(decryptKeyfile(file, 'correct horse battery stable', { argon2i }), (err: unknown) => {
    assert.ok(err instanceof WrongPasswordError)
    assert.equal(err.code, 'wrong_password')
    assert.match(err.message, /wrong password for this NaCl keyfile/)
    assert.ok(!err.message.includes('stable'))
    return true
  })
  assert.deepEqual(asked, [['correct horse battery stable', '0x137183dff15a09bc9c90b5518739e9b1', 8, 524288]])
})

test('Ansible Vault (ansible-core golden file): right password decrypts, wrong password and tampering are refused', async () => {
  const file = golden('coldkey.ansible')
  assert.equal(keyfileEncryption(file), 'ansible')
  assert.deepEqual(await decryptKeyfile(file, PASSWORD), golden('coldkey.json'))
  await assert.rejects(decryptKeyfile(file, 'wrong'), (err: unknown) => err instanceof WrongPasswordError && /Ansible Vault/.test(err.message))
  const text = new TextDecoder().decode(file)
  const lines = text.split('\n')
  // Change one hex digit of the ciphertext (the last body line): the HMAC no longer matches.
  const last = lines.length - (lines.at(-1) === '' ? 2 : 1)
  lines[last] = lines[last]!.replace(/.$/, (c) => (c === '0' ? '1' : '0'))
  await assert.rejects(openAnsibleVault(new TextEncoder().encode(lines.join('\n')), PASSWORD), (err: unknown) => err instanceof KeyfileError)
  await assert.rejects(openAnsibleVault(new TextEncoder().encode('$ANSIBLE_VAULT;1.1;AES\n3132\n'), PASSWORD), refusedWith('unsupported_keyfile', /only AES256/))
  await assert.rejects(openAnsibleVault(new TextEncoder().encode('$ANSIBLE_VAULT;1.1;AES256\nzz\n'), PASSWORD), refusedWith('bad_keyfile', /not hex/))
})

test('legacy Fernet (python cryptography golden file, 10,000,000 PBKDF2 rounds): right password decrypts, wrong one is refused', async () => {
  const file = golden('coldkey.legacy')
  assert.equal(keyfileEncryption(file), 'legacy')
  assert.deepEqual(await decryptKeyfile(file, PASSWORD), golden('coldkey.json'))
  await assert.rejects(decryptKeyfile(file, 'wrong'), (err: unknown) => err instanceof WrongPasswordError && /legacy \(Fernet\)/.test(err.message))
  await assert.rejects(decryptKeyfile(new TextEncoder().encode('gAAAAA!!'), PASSWORD), refusedWith('bad_keyfile', /not base64url/))
})

test('the page import takes a pasted btcli hotkey file, checked; an encrypted keyfile is refused with what to do; other text passes through trimmed', async () => {
  const json = new TextDecoder().decode(golden('coldkey.json'))
  assert.equal((await hotkeyFromSecret(await secretFromImport(`  ${json}\n`))).address, ADDRESS)
  // What `input.value` makes of a pretty-printed file: its line breaks removed.
  const pretty = JSON.stringify(JSON.parse(json), null, 2).replace(/\n/g, '')
  assert.equal((await hotkeyFromSecret(await secretFromImport(pretty))).address, ADDRESS)
  const privateOnly = JSON.stringify({ privateKey: PRIVATE, ss58Address: ADDRESS })
  assert.equal((await hotkeyFromSecret(await secretFromImport(privateOnly))).address, ADDRESS)
  await assert.rejects(secretFromImport(JSON.stringify({ privateKey: PRIVATE, ss58Address: ALICE })), refusedWith('address_mismatch'))
  await assert.rejects(secretFromImport(JSON.stringify({ ss58Address: ADDRESS })), refusedWith('no_secret'))
  await assert.rejects(secretFromImport(new TextDecoder().decode(golden('coldkey.ansible'))), refusedWith('unsupported_keyfile', /encrypted \(Ansible Vault\) keyfile, probably a coldkey/))
  await assert.rejects(secretFromImport('{"secretPhrase": 1'), refusedWith('bad_keyfile', /not JSON/))
  assert.equal(await secretFromImport(`  ${PHRASE}\n`), PHRASE)
  assert.equal(await secretFromImport('//Alice'), '//Alice')
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Keyring } from '@polkadot/keyring'
import { cryptoWaitReady, signatureVerify } from '@polkadot/util-crypto'
import { generateHotkey, hotkeyFromSecret, IdentityError, loadOrCreateHotkey, verifySignature, type SecretStore } from './identity.ts'

test('a dev URI gives the well-known address, and its signatures verify with the reference verifier', async () => {
  const alice = await hotkeyFromSecret('//Alice')
  // Substrate's dev account //Alice, SS58 prefix 42.
  assert.equal(alice.address, '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY')
  for (const size of [0, 1, 32, 1100, 70_000]) {
    const message = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff)
    const signature = alice.sign(message)
    assert.equal(signature.length, 64)
    assert.equal(signatureVerify(message, signature, alice.address).isValid, true, `size ${size}`)
    assert.equal(verifySignature(message, signature, alice.address), true)
    const tampered = message.slice()
    if (size > 0) {
      tampered[0] ^= 1
      assert.equal(verifySignature(tampered, signature, alice.address), false)
    }
  }
})

test('signatures of a mnemonic hotkey verify like the keyring pair own signatures', async () => {
  await cryptoWaitReady()
  const hk = await generateHotkey()
  const pair = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(hk.secret)
  assert.equal(hk.address, pair.address)
  const message = new TextEncoder().encode('weights for epoch 7')
  // sr25519 signatures are randomised: compare by verification, both ways.
  assert.equal(pair.verify(message, hk.sign(message), pair.publicKey), true)
  assert.equal(verifySignature(message, pair.sign(message), hk.address), true)
  const other = await hotkeyFromSecret('//Bob')
  assert.equal(verifySignature(message, hk.sign(message), other.address), false)
})

test('a bad secret is refused with an IdentityError that does not repeat it', async () => {
  await assert.rejects(hotkeyFromSecret('not a mnemonic at all'), IdentityError)
  // A derivation path is part of the secret: the keyring's own error would quote it.
  for (const bad of ['//my-secret-path/', '', 'bottom drive obey lake curtain smoke basket hold race lonely fit walk//my-secret-path/']) {
    await assert.rejects(hotkeyFromSecret(bad), (err: unknown) => {
      assert.ok(err instanceof IdentityError)
      assert.equal(err.code, 'bad_secret')
      assert.ok(!err.message.includes('my-secret-path') && !err.message.includes('bottom drive') && err.cause === undefined, err.message)
      return true
    })
  }
})

test('loadOrCreateHotkey keeps the hotkey in its store', async () => {
  const map = new Map<string, string>()
  const store: SecretStore = { get: (k) => map.get(k) ?? null, set: (k, v) => void map.set(k, v) }
  const first = await loadOrCreateHotkey(store)
  const again = await loadOrCreateHotkey(store)
  assert.equal(again.address, first.address)
  assert.equal(map.size, 1)
})

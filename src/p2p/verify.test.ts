import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { sr25519_verify as labsVerify } from '@polkadot-labs/schnorrkel-wasm'
import { hotkeyFromSecret } from '../identity/identity.ts'
import { ensureRuntime } from './runtime.ts'
import { sr25519VerifierName, useSr25519Verifier, verifyHotkeySignature } from './verify.ts'

const message = new TextEncoder().encode('a webtensor envelope body')

test('a verifier that fails the self-check is refused and the current one stays', async () => {
  await cryptoWaitReady()
  const before = sr25519VerifierName()
  assert.equal(useSr25519Verifier(() => true), false, 'accepts everything')
  assert.equal(useSr25519Verifier(() => false), false, 'refuses everything')
  assert.equal(
    useSr25519Verifier(() => {
      throw new Error('broken build')
    }),
    false,
  )
  assert.equal(sr25519VerifierName(), before)
})

test('schnorrkel-wasm passes the self-check and agrees with wasm-crypto on real hotkey signatures', async () => {
  const hotkey = await hotkeyFromSecret('//Alice')
  const other = await hotkeyFromSecret('//Bob')
  const signature = hotkey.sign(message)
  const tampered = message.slice()
  tampered[3] ^= 0x20
  const cases: Array<[Uint8Array, Uint8Array, string, boolean]> = [
    [message, signature, hotkey.address, true],
    [tampered, signature, hotkey.address, false],
    [message, signature, other.address, false],
    [message, other.sign(message), other.address, true],
    [message, signature.slice(0, 63), hotkey.address, false],
    [message, signature, 'not-an-address', false],
  ]
  const expectations = cases.map(([m, s, a]) => verifyHotkeySignature(m, s, a))
  assert.deepEqual(expectations, cases.map((c) => c[3]), 'wasm-crypto')
  assert.equal(useSr25519Verifier(labsVerify), true)
  assert.equal(sr25519VerifierName(), 'plugged')
  assert.deepEqual(cases.map(([m, s, a]) => verifyHotkeySignature(m, s, a)), expectations, 'schnorrkel-wasm')
})

test('the Node runtime adopts the faster verifier by itself', async () => {
  await ensureRuntime()
  assert.equal(sr25519VerifierName(), 'plugged')
})

test('malformed signatures and invalid keys never reach schnorrkel-wasm: thousands of them leave it working', async () => {
  await ensureRuntime()
  assert.equal(sr25519VerifierName(), 'plugged')
  const hotkey = await hotkeyFromSecret('//Alice')
  const signature = hotkey.sign(message)
  const { encodeAddress } = await import('@polkadot/util-crypto')
  const errors: unknown[] = []
  const originalError = console.error
  console.error = (...args: unknown[]) => void errors.push(args) // a wasm panic prints here first
  try {
    for (let i = 0; i < 2000; i++) {
      const bad = signature.slice()
      if (i % 2 === 0) bad[63] &= 0x7f // no schnorrkel marker
      else bad[63] |= 0xf0 // scalar not below 2^252
      bad[i % 60] ^= 1
      assert.equal(verifyHotkeySignature(message, bad, hotkey.address), false)
    }
    // Keys that are not Ristretto points (SS58 addresses are free to make): 0xff… is not one.
    for (let i = 0; i < 300; i++) {
      const key = new Uint8Array(32).fill(0xff)
      key[0] = i & 0xff
      assert.equal(verifyHotkeySignature(message, signature, encodeAddress(key, 42)), false)
    }
  } finally {
    console.error = originalError
  }
  assert.deepEqual(errors, [], 'no wasm panic')
  assert.equal(sr25519VerifierName(), 'plugged')
  assert.equal(verifyHotkeySignature(message, signature, hotkey.address), true, 'a valid signature still verifies')
  assert.equal(verifyHotkeySignature(message, (await hotkeyFromSecret('//Bob')).sign(message), (await hotkeyFromSecret('//Bob')).address), true)
})

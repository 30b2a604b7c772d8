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

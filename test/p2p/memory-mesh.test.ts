// The in-memory mesh the role tests use hands handlers the author's signed bytes, as the real
// mesh does, so code that keeps messages as evidence (the chain log) can be unit-tested.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { u8aEq } from '@polkadot/util'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import { envelopeBody, type Envelope, type SignedBytes } from '../../src/p2p/index.ts'
import { verifyHotkeySignature } from '../../src/p2p/verify.ts'
import { MemoryHub } from '../support/memory-mesh.ts'

test('a subscriber gets the signed body and signature, and can verify them again', async () => {
  const [alice, bob] = await Promise.all(['//Alice', '//Bob'].map((s) => hotkeyFromSecret(s)))
  const hub = new MemoryHub()
  const sender = hub.join(alice)
  const receiver = hub.join(bob)
  const got: [Envelope<'commit'>, SignedBytes][] = []
  receiver.subscribe('commit', (e, signed) => got.push([e, signed]))
  await sender.publish('commit', { hash: `0x${'5a'.repeat(32)}` })
  assert.equal(got.length, 1)
  const [envelope, signed] = got[0]!
  assert.ok(u8aEq(envelopeBody(envelope), signed.body), 'envelopeBody(envelope) is the signed body')
  assert.equal(signed.signature.length, 64)
  assert.ok(verifyHotkeySignature(signed.body, signed.signature, alice.address))
  assert.ok(!verifyHotkeySignature(signed.body, signed.signature, bob.address), 'the signature is the author\'s, not the receiver\'s')
  const tampered = signed.body.slice()
  tampered[tampered.length - 1] ^= 1
  assert.ok(!verifyHotkeySignature(tampered, signed.signature, alice.address))
})

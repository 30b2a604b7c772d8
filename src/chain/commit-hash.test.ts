import { test } from 'node:test'
import assert from 'node:assert/strict'
import { u8aToHex } from '@polkadot/util'
import { hotkeyFromSecret } from '../identity/identity.ts'
import { commitHash, CommitHashError, randomSalt } from './commit-hash.ts'

const aliceHot = await hotkeyFromSecret('//AliceHot')
const base = { hotkeyPublicKey: aliceHot.publicKey, netuid: 1, uids: [2], values: [65535], salt: [1, 2, 3, 4, 5, 6, 7, 8], versionKey: 0n }

test("commitHash matches subtensor's BlakeTwo256 of the SCALE-encoded commit (golden)", () => {
  assert.equal(u8aToHex(commitHash(base)), '0xce6ad1ba9d20b7ef7b051003b52153ecfe5f5fb3049e1515587feb8dba711f21')
})

test('every field changes the hash', () => {
  const golden = u8aToHex(commitHash(base))
  const variants = [
    { ...base, netuid: 2 },
    { ...base, uids: [3] },
    { ...base, values: [65534] },
    { ...base, salt: [1, 2, 3, 4, 5, 6, 7, 9] },
    { ...base, versionKey: 1n },
    { ...base, hotkeyPublicKey: new Uint8Array(32) },
    // Lengths are part of the encoding: moving an element from one vector to the next differs.
    { ...base, uids: [2, 65535], values: [] },
  ]
  const hashes = new Set(variants.map((v) => u8aToHex(commitHash(v))))
  assert.equal(hashes.size, variants.length)
  assert.ok(!hashes.has(golden))
})

test('out-of-range inputs are refused, not wrapped', () => {
  const bad = [
    { ...base, uids: [65536] },
    { ...base, values: [-1] },
    { ...base, salt: [1.5] },
    { ...base, netuid: 70000 },
    { ...base, versionKey: 1n << 64n },
    { ...base, versionKey: -1n },
    { ...base, hotkeyPublicKey: new Uint8Array(31) },
  ]
  for (const input of bad) assert.throws(() => commitHash(input), CommitHashError)
})

test('randomSalt gives u16s of the asked length, different each time', () => {
  const a = randomSalt()
  assert.equal(a.length, 8)
  assert.ok(a.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffff))
  assert.equal(randomSalt(32).length, 32)
  assert.notDeepEqual(randomSalt(16), randomSalt(16))
})

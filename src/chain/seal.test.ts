import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { hexToU8a, u8aToHex } from '@polkadot/util'
import { blake2AsU8a, cryptoWaitReady, keccakAsU8a } from '@polkadot/util-crypto'
import { blockHashFor, createSealSearch, meetsDifficulty, SealInputError, sealHash, solveSeal, upgradedDifficulty } from './seal.ts'

const ALICE = hexToU8a('0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d')
const BLOCK = new Uint8Array(32).fill(0x11)
const U64_MAX = (1n << 64n) - 1n
const leU256 = (b: Uint8Array): bigint => b.reduceRight((x, byte) => (x << 8n) | BigInt(byte), 0n)
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const u64 = fc.bigInt({ min: 0n, max: U64_MAX })

/**
 * subtensor `create_seal_hash` composed by hand from other implementations: keccak from
 * @polkadot/wasm-crypto (Rust), SHA-256 from node:crypto. Same layout as the bittensor SDK's
 * `_create_seal_hash`: nonce u64 LE ‖ keccak_256(block hash ‖ hotkey) → sha256 → keccak_256.
 */
function referenceSeal(block: Uint8Array, nonce: bigint, key: Uint8Array): Uint8Array {
  const kh = keccakAsU8a(new Uint8Array([...block, ...key]), 256, false)
  const pre = new Uint8Array(40)
  new DataView(pre.buffer).setBigUint64(0, nonce, true)
  pre.set(kh, 8)
  return keccakAsU8a(createHash('sha256').update(pre).digest(), 256, false)
}

test('sealHash: a golden vector, and the hand-composed create_seal_hash on random inputs', async () => {
  await cryptoWaitReady()
  // Computed once with referenceSeal (wasm keccak + node:crypto sha256) and pinned.
  assert.equal(u8aToHex(sealHash(BLOCK, 0x0123456789abcdefn, ALICE)), '0x1b1a0f08b3520338d644c78721295921fadaafc3a774d3756036d99ef076cc5c')
  for (const nonce of [0n, 1n, 0xffffffffn, 0x100000000n, U64_MAX]) {
    assert.deepEqual(sealHash(BLOCK, nonce, ALICE), referenceSeal(BLOCK, nonce, ALICE))
  }
  fc.assert(fc.property(bytes32, bytes32, u64, (block, key, nonce) => {
    assert.deepEqual(sealHash(block, nonce, key), referenceSeal(block, nonce, key))
  }), { numRuns: 200 })
})

test('meetsDifficulty: the seal as a little-endian U256 times the difficulty stays below 2^256', () => {
  const seal = (value: bigint): Uint8Array => {
    const out = new Uint8Array(32)
    for (let i = 0; i < 32; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn)
    return out
  }
  const max = (1n << 256n) - 1n
  for (const d of [2n, 3n, 10_000n, 1_000_000n, U64_MAX, 1n << 200n]) {
    const bound = max / d
    assert.equal(meetsDifficulty(seal(bound), d), true, `bound for ${d}`)
    assert.equal(meetsDifficulty(seal(bound + 1n), d), false, `bound + 1 for ${d}`)
  }
  const high = new Uint8Array(32); high[31] = 0x80 // 2^255 read little-endian
  const low = new Uint8Array(32); low[0] = 0x80 // 128
  assert.equal(meetsDifficulty(high, 2n), false)
  assert.equal(meetsDifficulty(low, 2n), true)
  assert.equal(meetsDifficulty(seal(max), 0n), true) // a zero product never overflows
  assert.equal(meetsDifficulty(seal(max), 1n), true)
  assert.throws(() => meetsDifficulty(new Uint8Array(31), 1n), SealInputError)
  assert.throws(() => meetsDifficulty(low, -1n), SealInputError)
  assert.throws(() => meetsDifficulty(low, 1n << 256n), SealInputError)
})

test('solveSeal returns the first nonce whose sealHash meets the difficulty', () => {
  const job = { blockHash: BLOCK, hotkeyPublicKey: ALICE, difficulty: 50n }
  const found = solveSeal(job, 1000n, 2000)
  assert.ok(found)
  let first = -1n
  for (let n = 1000n; n < 3000n && first < 0n; n++) if (meetsDifficulty(sealHash(BLOCK, n, ALICE), 50n)) first = n
  assert.equal(found.nonce, first)
  assert.deepEqual(found.seal, sealHash(BLOCK, found.nonce, ALICE))
  // Nothing in a range that holds no solution.
  assert.equal(solveSeal(job, 1000n, Number(first - 1000n)), null)
  assert.equal(solveSeal(job, 0n, 0), null)
})

test('the fast search agrees with sealHash + meetsDifficulty at the boundary, and wraps at 2^64', () => {
  fc.assert(fc.property(bytes32, bytes32, u64, (block, key, nonce) => {
    const value = leU256(sealHash(block, nonce, key))
    fc.pre(value > 0n)
    const exact = ((1n << 256n) - 1n) / value // the largest d with value·d < 2^256
    const search = (d: bigint) => createSealSearch({ blockHash: block, hotkeyPublicKey: key, difficulty: d })(nonce, 1)
    const hit = search(exact)
    assert.ok(hit)
    assert.equal(hit.nonce, nonce)
    assert.deepEqual(hit.seal, sealHash(block, nonce, key))
    assert.equal(search(exact + 1n), null)
    assert.equal(meetsDifficulty(hit.seal, exact + 1n), false)
  }), { numRuns: 200 })
  // From 2^64 - 2 with difficulty 1 (everything meets) the first try hits; across the wrap, the
  // nonces tried are 2^64-2, 2^64-1, 0, 1.
  const search = createSealSearch({ blockHash: BLOCK, hotkeyPublicKey: ALICE, difficulty: 1n })
  assert.equal(search(U64_MAX - 1n, 1)?.nonce, U64_MAX - 1n)
  const wrapped = [U64_MAX - 1n, U64_MAX, 0n, 1n]
  const d = 4n
  const expected = wrapped.find((n) => meetsDifficulty(sealHash(BLOCK, n, ALICE), d)) ?? null
  assert.equal(createSealSearch({ blockHash: BLOCK, hotkeyPublicKey: ALICE, difficulty: d })(U64_MAX - 1n, 4)?.nonce ?? null, expected)
  assert.throws(() => search(1n << 64n, 1), SealInputError)
  assert.throws(() => search(0n, -1), SealInputError)
  assert.throws(() => solveSeal({ blockHash: new Uint8Array(31), hotkeyPublicKey: ALICE, difficulty: 1n }, 0n, 1), SealInputError)
})

test('upgradedDifficulty reproduces subtensor tests/difficulty.rs (alpha 58000 truncates to 0 in U110F18)', () => {
  const big = U64_MAX
  // test_registration_difficulty_adjustment, step by step (min 10000, then 1; max 10000 at the end).
  assert.equal(upgradedDifficulty(20_000n, 3, 1, 58_000n, 10_000n, big), 40_000n) // 20000·(3+1)/(1+1)
  assert.equal(upgradedDifficulty(40_000n, 6, 3, 58_000n, 10_000n, big), 60_000n) // 40000·(6+3)/(3+3)
  assert.equal(upgradedDifficulty(4n, 0, 3, 58_000n, 1n, big), 2n)
  assert.equal(upgradedDifficulty(2n, 0, 3, 58_000n, 1n, big), 1n)
  assert.equal(upgradedDifficulty(1n, 0, 3, 58_000n, 1n, big), 1n) // 0.5 ≤ min
  assert.equal(upgradedDifficulty(5_000n, 4, 3, 58_000n, 1n, 10_000n), 5833n) // 35000/6 truncated
  assert.equal(upgradedDifficulty(5833n, 3, 3, 58_000n, 1n, 10_000n), 5833n)
})

test('upgradedDifficulty: hand-computed U110F18 cases (alpha, truncation, clamps, zero target)', () => {
  const big = U64_MAX
  // alpha = 2^63/u64::MAX → 2^18·2^63/(2^64−1) truncates to 131072 bits = 0.5 exactly.
  // 7·(0+3)/6 = 3.5; 0.5·7 + 0.5·3.5 = 5.25 → 5.
  assert.equal(upgradedDifficulty(7n, 0, 3, 1n << 63n, 1n, big), 5n)
  assert.equal(upgradedDifficulty(7n, 0, 3, 0n, 1n, big), 3n) // 3.5 → 3
  // alpha = ((2^64−1)/3)/(2^64−1) = 1/3 → floor(2^18/3) = 87381 bits; 1 − alpha = 174763 bits.
  // 3e6 with no registrations, target 1: updated = 1.5e6.
  // bits: 87381·3e6 + 174763·1.5e6 = 524_287_500_000; / 2^18 = 1999998.09 → 1999998
  // (the real-number answer would be 2_000_000).
  assert.equal(upgradedDifficulty(3_000_000n, 0, 1, U64_MAX / 3n, 1n, big), 1_999_998n)
  // alpha = u64::MAX → exactly 1: the difficulty never moves.
  assert.equal(upgradedDifficulty(12_345n, 50, 1, U64_MAX, 1n, big), 12_345n)
  // target 0: safe_div by 0 gives 0, so next = alpha·current = 0 → min.
  assert.equal(upgradedDifficulty(1000n, 5, 0, 0n, 7n, big), 7n)
  // Clamps are inclusive: next == max returns max, next == min returns min.
  assert.equal(upgradedDifficulty(1000n, 3, 1, 0n, 1n, 2000n), 2000n)
  assert.equal(upgradedDifficulty(1000n, 3, 1, 0n, 1n, 1999n), 1999n)
  assert.equal(upgradedDifficulty(1000n, 0, 1, 0n, 500n, big), 500n)
  // u64::MAX·(0+1)/2 = 2^63 − 0.5 → 2^63 − 1; u16 sums saturate at 65535 (65535/65535 = 1).
  assert.equal(upgradedDifficulty(U64_MAX, 0, 1, 0n, 0n, U64_MAX - 1n), (1n << 63n) - 1n)
  assert.equal(upgradedDifficulty(1000n, 65535, 65535, 0n, 0n, big), 1000n)
  assert.throws(() => upgradedDifficulty(1n << 64n, 0, 1, 0n, 0n, big), SealInputError)
  assert.throws(() => upgradedDifficulty(1n, 65536, 1, 0n, 0n, big), SealInputError)
  assert.throws(() => upgradedDifficulty(1n, 0, 1.5, 0n, 0n, big), SealInputError)
})

test('blockHashFor = blake2b-256(genesis ‖ block u64 LE ‖ parent), and covers every input', async () => {
  await cryptoWaitReady()
  const genesis = new Uint8Array(32).fill(7)
  const parent = new Uint8Array(32).fill(9)
  const input = new Uint8Array(72)
  input.set(genesis, 0)
  new DataView(input.buffer).setBigUint64(32, 300n, true)
  input.set(parent, 40)
  assert.deepEqual(blockHashFor(genesis, 300, parent), blake2AsU8a(input, 256))
  const base = u8aToHex(blockHashFor(genesis, 300, parent))
  assert.notEqual(u8aToHex(blockHashFor(genesis, 301, parent)), base)
  assert.notEqual(u8aToHex(blockHashFor(parent, 300, parent)), base)
  assert.notEqual(u8aToHex(blockHashFor(genesis, 300, genesis)), base)
  assert.throws(() => blockHashFor(genesis, -1, parent), SealInputError)
  assert.throws(() => blockHashFor(genesis, 1.5, parent), SealInputError)
  assert.throws(() => blockHashFor(new Uint8Array(31), 1, parent), SealInputError)
})

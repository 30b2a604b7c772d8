/**
 * Subtensor's proof-of-work registration, bit for bit: the seal hash a registering hotkey must
 * find (`create_seal_hash`), the difficulty test (`hash_meets_difficulty`), the difficulty
 * adjustment (`upgraded_difficulty`, in U110F18 fixed point), and a seal search fast enough to
 * run in a page. Pure: no I/O, no `node:` imports, so it runs in Node, pages and workers alike.
 * Source: subtensor `pallets/subtensor/src/subnets/registration.rs` and `coinbase/block_step.rs`.
 * @module
 */
import { blake2b } from '@noble/hashes/blake2.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { WebtensorError } from '../errors.ts'
import { keccakF1600 } from './keccak-f.ts'
import { sha256OneBlock } from './sha256-block.ts'

/** A caller passed a value outside the chain's types (a hash of the wrong length, a u64 out of range). */
export class SealInputError extends WebtensorError {
  override name = 'SealInputError'
  constructor(message: string) {
    super(message, { code: 'bad_seal_input' })
  }
}

/** What a registering hotkey must solve: the work block's hash, its key, the subnet's difficulty. */
export interface SealJob {
  /** Hash of the block the work is for (32 bytes). */
  blockHash: Uint8Array
  /** The registering hotkey's public key (32 bytes, the AccountId). */
  hotkeyPublicKey: Uint8Array
  /** Subnet difficulty (U256; subtensor stores a u64). */
  difficulty: bigint
}

/** A nonce whose seal meets the job's difficulty, and that seal (the extrinsic's `work`). */
export interface SealSolution {
  nonce: bigint
  seal: Uint8Array
}

const U64_MAX = (1n << 64n) - 1n
const U256_LIMIT = 1n << 256n

function check32(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new SealInputError(`${what} must be 32 bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`)
  }
}

function checkU64(x: bigint, what: string): void {
  if (typeof x !== 'bigint' || x < 0n || x > U64_MAX) throw new SealInputError(`${what} must be a u64 bigint, got ${String(x)}`)
}

function checkDifficulty(d: bigint): void {
  if (typeof d !== 'bigint' || d < 0n || d >= U256_LIMIT) throw new SealInputError(`difficulty must be a U256 bigint, got ${String(d)}`)
}

/** `hash_block_and_hotkey`: keccak_256(blockHash ‖ hotkey), the per-job half of the seal. */
export function hashBlockAndHotkey(blockHash: Uint8Array, hotkeyPublicKey: Uint8Array): Uint8Array {
  check32(blockHash, 'block hash')
  check32(hotkeyPublicKey, 'hotkey public key')
  const full = new Uint8Array(64)
  full.set(blockHash, 0)
  full.set(hotkeyPublicKey, 32)
  return keccak_256(full)
}

/**
 * `create_seal_hash`: keccak_256(sha2_256(nonce as u64 LE ‖ keccak_256(blockHash ‖ hotkey))).
 * The registration extrinsic's `work` must equal this for its block, nonce and hotkey. This is the
 * plain reference; `solveSeal` computes the same hash with a faster kernel.
 */
export function sealHash(blockHash: Uint8Array, nonce: bigint, hotkeyPublicKey: Uint8Array): Uint8Array {
  checkU64(nonce, 'nonce')
  const full = new Uint8Array(40)
  new DataView(full.buffer).setBigUint64(0, nonce, true)
  full.set(hashBlockAndHotkey(blockHash, hotkeyPublicKey), 8)
  return keccak_256(sha256(full))
}

/** The seal read as subtensor's `U256::from_little_endian`. */
function u256LE(bytes: Uint8Array): bigint {
  let x = 0n
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i])
  return x
}

/**
 * `hash_meets_difficulty`: the seal, as a little-endian U256, times the difficulty does not
 * overflow 256 bits. A try succeeds with probability about 1/difficulty.
 */
export function meetsDifficulty(seal: Uint8Array, difficulty: bigint): boolean {
  check32(seal, 'seal')
  checkDifficulty(difficulty)
  return u256LE(seal) * difficulty < U256_LIMIT
}

// ---- U110F18 (substrate-fixed), on raw bits: value = bits / 2^18, bits in [0, 2^128).
const FRAC = 18n
const FIXED_MAX = (1n << 128n) - 1n
const fixedFrom = (x: bigint): bigint => (x << FRAC > FIXED_MAX ? FIXED_MAX : x << FRAC) // saturating_from_num
const fixedMul = (a: bigint, b: bigint): bigint => { const p = (a * b) >> FRAC; return p > FIXED_MAX ? FIXED_MAX : p } // saturating_mul (floors)
const fixedAdd = (a: bigint, b: bigint): bigint => (a + b > FIXED_MAX ? FIXED_MAX : a + b) // saturating_add
const fixedSub = (a: bigint, b: bigint): bigint => (a > b ? a - b : 0n) // saturating_sub
/** `safe_div` = checked_div(..).unwrap_or_default(): truncates; division by zero or overflow gives 0. */
const fixedDiv = (a: bigint, b: bigint): bigint => {
  if (b === 0n) return 0n
  const q = (a << FRAC) / b
  return q > FIXED_MAX ? 0n : q
}
const u16SaturatingAdd = (a: number, b: number): number => Math.min(a + b, 0xffff)

function checkU16(x: number, what: string): void {
  if (!Number.isInteger(x) || x < 0 || x > 0xffff) throw new SealInputError(`${what} must be a u16, got ${x}`)
}

/**
 * `upgraded_difficulty`: the next difficulty after an adjustment interval,
 * alpha·current + (1−alpha)·current·(regs + target)/(2·target), alpha = adjustmentAlpha/u64::MAX,
 * clamped to [min, max]. Done in U110F18 exactly as the chain does (each product and quotient
 * truncated to 18 fractional bits), so a local chain adjusts to the same integers subtensor would.
 */
export function upgradedDifficulty(
  current: bigint,
  registrationsThisInterval: number,
  target: number,
  adjustmentAlpha: bigint,
  min: bigint,
  max: bigint,
): bigint {
  checkU64(current, 'current difficulty')
  checkU16(registrationsThisInterval, 'registrations this interval')
  checkU16(target, 'target registrations per interval')
  checkU64(adjustmentAlpha, 'adjustment alpha')
  checkU64(min, 'min difficulty')
  checkU64(max, 'max difficulty')
  const cur = fixedFrom(current)
  const updated = fixedDiv(
    fixedMul(cur, fixedFrom(BigInt(u16SaturatingAdd(registrationsThisInterval, target)))),
    fixedFrom(BigInt(u16SaturatingAdd(target, target))),
  )
  const alpha = fixedDiv(fixedFrom(adjustmentAlpha), fixedFrom(U64_MAX))
  const next = fixedAdd(fixedMul(alpha, cur), fixedMul(fixedSub(fixedFrom(1n), alpha), updated))
  if (next >= fixedFrom(max)) return max
  if (next <= fixedFrom(min)) return min
  const whole = next >> FRAC // saturating_to_num::<u64>: truncates
  return whole > U64_MAX ? U64_MAX : whole
}

/**
 * The local chain's hash of block `block`: blake2b-256(genesis ‖ block as u64 LE ‖ parent), where
 * `parent` is the hash of the chain log's last entry before this block. Because it covers the log
 * so far, PoW for a block cannot be done before that block exists (subtensor uses the real block
 * hash for the same reason).
 */
export function blockHashFor(genesis: Uint8Array, block: number, parent: Uint8Array): Uint8Array {
  check32(genesis, 'genesis hash')
  check32(parent, 'parent hash')
  if (!Number.isSafeInteger(block) || block < 0) throw new SealInputError(`block must be a non-negative integer, got ${block}`)
  const input = new Uint8Array(72)
  input.set(genesis, 0)
  new DataView(input.buffer).setBigUint64(32, BigInt(block), true)
  input.set(parent, 40)
  return blake2b(input, { dkLen: 32 })
}

const bswap = (x: number): number => ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)

/**
 * Prepares `job` once (the block-and-hotkey hash, the difficulty as a bound on the seal) and returns
 * a search that tries `count` nonces from `from` (wrapping at 2^64) and returns the first whose seal
 * meets the difficulty, or null. The inner loop allocates nothing: one SHA-256 block and one
 * keccak-f on reused word buffers per nonce.
 */
export function createSealSearch(job: SealJob): (from: bigint, count: number) => SealSolution | null {
  checkDifficulty(job.difficulty)
  const kh = hashBlockAndHotkey(job.blockHash, job.hotkeyPublicKey)
  // SHA-256 block of nonce(8) ‖ kh(32), padded: 0x80 at byte 40, bit length 320 in the last word.
  const w = new Uint32Array(64)
  const khView = new DataView(kh.buffer, kh.byteOffset, 32)
  for (let k = 0; k < 8; k++) w[2 + k] = khView.getUint32(4 * k, false)
  w[10] = 0x80000000
  w[15] = 320
  const digest = new Uint32Array(8)
  const state = new Uint32Array(50)
  // seal·d < 2^256  ⇔  seal ≤ floor((2^256 − 1)/d); d = 0 never overflows.
  const bound = job.difficulty === 0n ? U256_LIMIT - 1n : (U256_LIMIT - 1n) / job.difficulty
  const limit = new Uint32Array(8)
  for (let k = 0; k < 8; k++) limit[k] = Number((bound >> BigInt(32 * k)) & 0xffffffffn)

  return (from: bigint, count: number): SealSolution | null => {
    checkU64(from, 'start nonce')
    if (!Number.isSafeInteger(count) || count < 0) throw new SealInputError(`count must be a non-negative integer, got ${count}`)
    let lo = Number(from & 0xffffffffn)
    let hi = Number(from >> 32n)
    for (let i = 0; i < count; i++) {
      w[0] = bswap(lo)
      w[1] = bswap(hi)
      sha256OneBlock(w, digest)
      // keccak_256 of the 32-byte digest: one absorb; pad 0x01 at byte 32, 0x80 at byte 135 (rate 136).
      state.fill(0)
      for (let k = 0; k < 8; k++) state[k] = bswap(digest[k])
      state[8] = 0x01
      state[33] = 0x80000000
      keccakF1600(state)
      // Compare the seal (little-endian words state[0..7]) to the bound, most significant word first.
      let meets = true
      for (let k = 7; k >= 0; k--) {
        const s = state[k]
        const l = limit[k]
        if (s !== l) { meets = s < l; break }
      }
      if (meets) {
        const seal = new Uint8Array(32)
        const out = new DataView(seal.buffer)
        for (let k = 0; k < 8; k++) out.setUint32(4 * k, state[k], true)
        return { nonce: (BigInt(hi) << 32n) | BigInt(lo), seal }
      }
      lo = (lo + 1) >>> 0
      if (lo === 0) hi = (hi + 1) >>> 0
    }
    return null
  }
}

/**
 * Tries `count` nonces from `from` for `job`; the first whose `sealHash` meets the difficulty, or
 * null. For repeated chunks of one job, keep a `createSealSearch(job)` instead (it prepares once).
 */
export function solveSeal(job: SealJob, from: bigint, count: number): SealSolution | null {
  return createSealSearch(job)(from, count)
}

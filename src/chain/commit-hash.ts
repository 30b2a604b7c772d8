/**
 * subtensor's commit-reveal hash (`get_commit_hash` in pallets/subtensor/src/subnets/weights.rs):
 * BlakeTwo256 of the SCALE encoding of `(AccountId32, u16 netuid index, Vec<u16> uids,
 * Vec<u16> values, Vec<u16> salt, u64 version_key)`. A validator commits this hash, then reveals
 * the weights and salt an epoch or more later; the chain recomputes it. Pure.
 */
import { blake2b } from '@noble/hashes/blake2.js'
import { compactToU8a, u8aConcat } from '@polkadot/util'
import { WebtensorError } from '../errors.ts'

export class CommitHashError extends WebtensorError {
  override name = 'CommitHashError'
}

export interface CommitInput {
  /** The committing hotkey's sr25519 public key (the AccountId32), 32 bytes. */
  hotkeyPublicKey: Uint8Array
  /** The netuid storage index (u16): the netuid itself for a subnet's main mechanism. */
  netuid: number
  uids: readonly number[]
  values: readonly number[]
  salt: readonly number[]
  /** u64. */
  versionKey: bigint
}

const U64_MAX = (1n << 64n) - 1n

/**
 * The 32-byte hash a validator commits for `(uids, values)` under `salt`, as subtensor computes it.
 * @example const hash = commitHash({ hotkeyPublicKey: hotkey.publicKey, netuid: 1, uids: [2], values: [65535], salt: randomSalt(), versionKey: 0n })
 */
export function commitHash(input: CommitInput): Uint8Array {
  const { hotkeyPublicKey, netuid, uids, values, salt, versionKey } = input
  if (hotkeyPublicKey.length !== 32) throw new CommitHashError(`a hotkey public key has 32 bytes, not ${hotkeyPublicKey.length}`, { code: 'bad_commit_input' })
  if (typeof versionKey !== 'bigint' || versionKey < 0n || versionKey > U64_MAX) throw new CommitHashError(`version key ${versionKey} is not a u64`, { code: 'bad_commit_input' })
  const encoded = u8aConcat(hotkeyPublicKey, u16le(netuid, 'netuid'), vecU16(uids, 'uids'), vecU16(values, 'values'), vecU16(salt, 'salt'), u64le(versionKey))
  return blake2b(encoded, { dkLen: 32 })
}

/** A fresh random salt of `len` u16s (subtensor's tooling uses 8). */
export function randomSalt(len = 8): number[] {
  return [...crypto.getRandomValues(new Uint16Array(len))]
}

function u16le(value: number, what: string): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new CommitHashError(`${what} ${value} is not a u16`, { code: 'bad_commit_input' })
  return new Uint8Array([value & 0xff, value >>> 8])
}

/** SCALE `Vec<u16>`: compact length, then each element little-endian. */
function vecU16(values: readonly number[], what: string): Uint8Array {
  const out = new Uint8Array(values.length * 2)
  for (const [i, v] of values.entries()) out.set(u16le(v, `${what}[${i}]`), i * 2)
  return u8aConcat(compactToU8a(values.length), out)
}

function u64le(value: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, value, true)
  return out
}

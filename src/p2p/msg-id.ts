/**
 * Gossip message ids. webtensor signs every message at the application layer (the hotkey's
 * sr25519 signature in the envelope, the peer's own key on discovery records), so gossipsub runs
 * with StrictNoSign, as Ethereum's consensus layer does for the same reason: a libp2p signature
 * on top cost every peer an Ed25519 verification per message (a tenth of a Node peer's CPU in
 * `bench/p2p`) and ~120 bytes per copy. Without an author and sequence number, a message's id is
 * its content: the first 20 bytes of SHA-256 over its bytes. Being content-addressed, a forged
 * copy can never shadow the real one in the duplicate filters.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { u8aEq, u8aToHex } from '@polkadot/util'

/** A SHA-256 implementation: 32-byte digest of `data`. */
export type Sha256 = (data: Uint8Array) => Uint8Array

// Portable by default; Node's native one is ~5× faster and every copy of every message is hashed.
let hash256: Sha256 = sha256

const ID_BYTES = 20

// One hash per copy: gossipsub asks for the fast id of every copy and for the full id of the
// first, with the same byte array.
const ids = new WeakMap<Uint8Array, Uint8Array>()

/**
 * The message id of gossip `data`.
 * @example contentMsgId(bytes).length === 20
 */
export function contentMsgId(data: Uint8Array): Uint8Array {
  let id = ids.get(data)
  if (id === undefined) {
    // A copy: a plain Uint8Array that keeps no larger buffer (Node's digests may share a pool) alive.
    id = new Uint8Array(hash256(data).subarray(0, ID_BYTES))
    ids.set(data, id)
  }
  return id
}

/**
 * Adopts `candidate` as the SHA-256 of message ids once it gives the right digests; returns whether it did.
 * @example useSha256((d) => crypto.hash('sha256', d, 'buffer'))
 */
export function useSha256(candidate: Sha256): boolean {
  try {
    for (const probe of [new Uint8Array(0), new TextEncoder().encode('webtensor message id'), new Uint8Array(1500).fill(0xa5)]) {
      if (!u8aEq(candidate(probe), sha256(probe))) return false
    }
  } catch {
    return false
  }
  hash256 = candidate
  return true
}

/** gossipsub's `msgIdFn`. */
export function msgIdFn(msg: { data: Uint8Array }): Uint8Array {
  return contentMsgId(msg.data)
}

/**
 * gossipsub's `fastMsgIdFn`: lets it drop a duplicate before any other work (each peer receives a
 * message from about D mesh peers); the same content hash, as a string.
 */
export function fastMsgIdFn(msg: { data?: Uint8Array }): string {
  return u8aToHex(contentMsgId(msg.data ?? EMPTY), -1, false)
}

const EMPTY = new Uint8Array(0)

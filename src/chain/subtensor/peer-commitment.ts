/**
 * How a node says on chain where to reach it: its libp2p peer id and a few multiaddrs, packed
 * into one `Raw` field of the Commitments pallet (raonet: `MaxFields` = 1, so at most 128 bytes).
 * Pure bytes in, bytes out; what is read back is hostile input (anyone registered on the subnet
 * writes it), so decoding checks every length and every code and says why it refuses.
 *
 * Layout (version 1):
 *
 *     'w' 't' 0x01 | len (1 byte) | binary multiaddr `/p2p/<peer id>` | per address: len (1 byte) | binary multiaddr
 *
 * An address is stored without its `/p2p/<id>` (the id is said once); one that carries a
 * `/p2p/` of another peer is refused whole, never half-read.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'

/** The most bytes one commitment field holds (`Data::Raw128`). */
export const MAX_COMMITMENT_BYTES = 128
/** The most addresses read from one commitment. */
export const MAX_COMMITMENT_ADDRS = 4
const MAGIC = [0x77, 0x74, 0x01] // 'w', 't', version 1

/** A node's published way in: its peer id and its multiaddrs, each ending with `/p2p/<peer id>`. */
export interface PeerCommitment {
  peerId: string
  addrs: string[]
}

export type PeerCommitmentError = 'empty' | 'oversize' | 'not_webtensor' | 'bad_peer_id' | 'truncated' | 'bad_multiaddr' | 'other_peer_id' | 'too_many_addrs' | 'no_addrs'

export type DecodedPeerCommitment = { ok: true; peer: PeerCommitment } | { ok: false; error: PeerCommitmentError; detail: string }

/** Thrown by `encodePeerCommitment` for what cannot be published. */
export class PeerCommitmentEncodeError extends Error {
  override name = 'PeerCommitmentEncodeError'
}

/** The address without a trailing `/p2p/<id>`, or null when it names another peer. */
function withoutPeer(addr: string, peerId: string): string | null {
  const parts = addr.split('/p2p/')
  if (parts.length === 1) return addr
  if (parts.length === 2 && parts[1] === peerId) return parts[0]!
  return null
}

/**
 * Packs `peerId` and as many of `addrs` (in order) as fit in `MAX_COMMITMENT_BYTES`; refuses an
 * address that is not a multiaddr or names another peer, and a result with no address at all.
 * @example encodePeerCommitment(mesh.peerId, ['/ip4/203.0.113.7/tcp/4001/ws'])
 */
export function encodePeerCommitment(peerId: string, addrs: readonly string[]): Uint8Array {
  let id: Uint8Array
  try {
    id = multiaddr(`/p2p/${peerIdFromString(peerId).toString()}`).bytes
  } catch (err) {
    throw new PeerCommitmentEncodeError(`${peerId} is not a libp2p peer id: ${(err as Error).message}`)
  }
  const out: number[] = [...MAGIC, id.length, ...id]
  let kept = 0
  for (const a of addrs) {
    const bare = withoutPeer(a, peerId)
    if (bare === null) throw new PeerCommitmentEncodeError(`${a} names another peer than ${peerId}`)
    let bytes: Uint8Array
    try {
      bytes = multiaddr(bare).bytes
    } catch (err) {
      throw new PeerCommitmentEncodeError(`${a} is not a multiaddr: ${(err as Error).message}`)
    }
    if (kept === MAX_COMMITMENT_ADDRS || out.length + 1 + bytes.length > MAX_COMMITMENT_BYTES) continue
    out.push(bytes.length, ...bytes)
    kept++
  }
  if (kept === 0) throw new PeerCommitmentEncodeError(`none of ${addrs.length} address(es) fits in ${MAX_COMMITMENT_BYTES} bytes beside the peer id`)
  return new Uint8Array(out)
}

/** Reads a commitment field back; never throws. */
export function decodePeerCommitment(bytes: Uint8Array): DecodedPeerCommitment {
  const no = (error: PeerCommitmentError, detail: string): DecodedPeerCommitment => ({ ok: false, error, detail })
  if (bytes.length === 0) return no('empty', 'no bytes')
  if (bytes.length > MAX_COMMITMENT_BYTES) return no('oversize', `${bytes.length} bytes, at most ${MAX_COMMITMENT_BYTES}`)
  if (bytes.length < MAGIC.length + 1 || MAGIC.some((b, i) => bytes[i] !== b)) return no('not_webtensor', 'no webtensor v1 header')
  let at = MAGIC.length
  const idLen = bytes[at++]!
  if (idLen === 0 || at + idLen > bytes.length) return no('truncated', `peer id of ${idLen} bytes past the end`)
  let peerId: string
  try {
    const m = /^\/p2p\/([^/]+)$/.exec(multiaddr(bytes.slice(at, at + idLen)).toString())
    if (m === null) return no('bad_peer_id', 'the id field is not one /p2p/<id>')
    peerId = peerIdFromString(m[1]!).toString()
  } catch (err) {
    return no('bad_peer_id', (err as Error).message)
  }
  at += idLen
  const addrs: string[] = []
  while (at < bytes.length) {
    if (addrs.length === MAX_COMMITMENT_ADDRS) return no('too_many_addrs', `more than ${MAX_COMMITMENT_ADDRS} addresses`)
    const len = bytes[at++]!
    if (len === 0 || at + len > bytes.length) return no('truncated', `an address of ${len} bytes past the end`)
    let text: string
    try {
      const ma = multiaddr(bytes.slice(at, at + len))
      text = ma.toString()
      // A decoder that reads fewer bytes than it was given would hide trailing bytes: refuse.
      if (ma.bytes.length !== len) return no('bad_multiaddr', `an address reads ${ma.bytes.length} of its ${len} bytes`)
    } catch (err) {
      return no('bad_multiaddr', (err as Error).message)
    }
    at += len
    const bare = withoutPeer(text, peerId)
    if (bare === null) return no('other_peer_id', `${text} names another peer than ${peerId}`)
    addrs.push(`${bare}/p2p/${peerId}`)
  }
  if (addrs.length === 0) return no('no_addrs', 'a peer id without addresses')
  return { ok: true, peer: { peerId, addrs } }
}

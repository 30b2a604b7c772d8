/**
 * Point-to-point query and answer between a validator and one miner, over the mesh's direct
 * request/response (never gossip): the query goes to the miner it names, the answer only back to
 * the validator that asked, so nobody else sees it in time to copy it. Both are hotkey-signed
 * envelopes whose peer id must be the peer at the other end of the stream.
 */
import { WebtensorError } from '../errors.ts'
import type { Signer } from '../identity/identity.ts'
import { encodeEnvelope, InboundGuard, type Envelope, type Mesh, type Payloads, type RateLimit } from '../p2p/index.ts'

/** The envelope kinds that travel point to point: a validator's query and a miner's response, an ask and its answer. */
export type DirectKind = 'query' | 'response' | 'ask' | 'answer'

/** Request name of the direct query protocol (`/webtensor/<netuid>/req/query/1`). */
export const QUERY_REQUEST = 'query'

/** A query or answer refused at the door, or a query that got no usable answer. */
export class ExchangeError extends WebtensorError {
  override name = 'ExchangeError'
}

/** Signs one envelope of `kind` as `signer` from `mesh`'s peer. Seqs are unique per process and hotkey. */
export function seal<K extends DirectKind>(mesh: Mesh, signer: Signer, netuid: number, kind: K, payload: Payloads[K]): Uint8Array {
  const envelope: Envelope<K> = { netuid, kind, hotkey: signer.address, peerId: mesh.peerId, seq: nextSeq(), timestamp: Date.now(), payload }
  return encodeEnvelope(envelope, signer)
}

let seq = Date.now() * 1000
const nextSeq = (): number => seq++

/**
 * The checks every direct envelope passes before anyone looks at its payload, cheapest first:
 * size and the neighbour's rate before decoding, then schema, clock, replay and the signature
 * (InboundGuard), then that it was signed for the peer that sent it.
 */
export class DirectDoor {
  private readonly guard: InboundGuard
  constructor(options: { netuid: number; peerRate?: RateLimit; hotkeyRate?: RateLimit }) {
    this.guard = new InboundGuard({ netuid: options.netuid, peerRate: options.peerRate, hotkeyRate: options.hotkeyRate })
  }
  /** The envelope, or ExchangeError with the reason as its code. */
  open<K extends DirectKind>(bytes: Uint8Array, kind: K, fromPeer: string): Envelope<K> {
    const v = this.guard.check(bytes, kind, fromPeer, Date.now())
    if (!v.ok) throw new ExchangeError(`${kind} refused: ${v.reason} (${v.detail})`, { code: v.reason })
    if (v.envelope.peerId !== fromPeer) throw new ExchangeError(`${kind} signed for peer ${v.envelope.peerId}, sent by ${fromPeer}`, { code: 'wrong_peer' })
    return v.envelope as Envelope<K>
  }
  get rejected(): Record<string, number> {
    return this.guard.rejected
  }
}

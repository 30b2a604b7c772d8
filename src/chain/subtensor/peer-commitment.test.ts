import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodePeerCommitment, encodePeerCommitment, MAX_COMMITMENT_ADDRS, MAX_COMMITMENT_BYTES, PeerCommitmentEncodeError } from './peer-commitment.ts'

const newId = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

test('a peer id and its addresses round-trip in one Raw field, each address ending with the id', async () => {
  const id = await newId()
  const addrs = ['/ip4/203.0.113.7/tcp/4001/ws', `/dns4/miner.example.org/tcp/443/wss/p2p/${id}`, '/ip6/2001:db8::1/tcp/4002']
  const bytes = encodePeerCommitment(id, addrs)
  assert.ok(bytes.length <= MAX_COMMITMENT_BYTES, `${bytes.length} bytes`)
  const back = decodePeerCommitment(bytes)
  assert.ok(back.ok, JSON.stringify(back))
  assert.equal(back.peer.peerId, id)
  assert.deepEqual(back.peer.addrs, [`/ip4/203.0.113.7/tcp/4001/ws/p2p/${id}`, `/dns4/miner.example.org/tcp/443/wss/p2p/${id}`, `/ip6/2001:db8::1/tcp/4002/p2p/${id}`])
})

test('addresses beyond the 128 bytes or the count are left out; an address of another peer is refused', async () => {
  const id = await newId()
  const many = Array.from({ length: 10 }, (_, i) => `/dns4/${'h'.repeat(20)}${i}.example.org/tcp/443/wss`)
  const bytes = encodePeerCommitment(id, many)
  assert.ok(bytes.length <= MAX_COMMITMENT_BYTES)
  const back = decodePeerCommitment(bytes)
  assert.ok(back.ok && back.peer.addrs.length >= 1 && back.peer.addrs.length <= MAX_COMMITMENT_ADDRS)
  const other = await newId()
  assert.throws(() => encodePeerCommitment(id, [`/ip4/203.0.113.7/tcp/1/p2p/${other}`]), PeerCommitmentEncodeError)
  assert.throws(() => encodePeerCommitment(id, ['not an address']), PeerCommitmentEncodeError)
  assert.throws(() => encodePeerCommitment('not-a-peer-id', ['/ip4/203.0.113.7/tcp/1']), PeerCommitmentEncodeError)
  assert.throws(() => encodePeerCommitment(id, [`/dns4/${'x'.repeat(120)}.org/tcp/1`]), PeerCommitmentEncodeError)
})

test('hostile bytes are refused with a reason: garbage, another header, a truncated field, another peer id, trailing bytes', async () => {
  const id = await newId()
  const other = await newId()
  const good = encodePeerCommitment(id, ['/ip4/203.0.113.7/tcp/4001/ws'])
  const reason = (b: Uint8Array): string => {
    const r = decodePeerCommitment(b)
    return r.ok ? 'ok' : r.error
  }
  assert.equal(reason(new Uint8Array()), 'empty')
  assert.equal(reason(new TextEncoder().encode('garbage bytes')), 'not_webtensor')
  assert.equal(reason(new Uint8Array(129).fill(0x77)), 'oversize')
  assert.equal(reason(good.slice(0, good.length - 2)), 'truncated')
  assert.equal(reason(good.slice(0, 4 + good[3]!)), 'no_addrs')
  // The address part says /p2p/ of another peer.
  const { multiaddr } = await import('@multiformats/multiaddr')
  const ma = multiaddr(`/ip4/203.0.113.7/tcp/1/p2p/${other}`).bytes
  const head = good.slice(0, 4 + good[3]!)
  assert.equal(reason(new Uint8Array([...head, ma.length, ...ma])), 'other_peer_id')
  // A multiaddr with a byte more than it reads.
  const short = multiaddr('/ip4/203.0.113.7/tcp/1').bytes
  assert.equal(reason(new Uint8Array([...head, short.length + 1, ...short, 0])), 'bad_multiaddr')
  // The id field holds an address, not /p2p/<id>.
  assert.equal(reason(new Uint8Array([0x77, 0x74, 0x01, short.length, ...short, short.length, ...short])), 'bad_peer_id')
})

test('decoding never throws on any bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 160 }), fc.boolean(), (b, withHeader) => {
    const bytes = withHeader ? new Uint8Array([0x77, 0x74, 0x01, ...b]) : b
    const r = decodePeerCommitment(bytes)
    assert.ok(r.ok || typeof r.detail === 'string')
  }), { numRuns: 2000 })
})

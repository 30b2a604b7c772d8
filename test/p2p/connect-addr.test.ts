/**
 * `Mesh.connectAddr`, the dial a validator makes to an address a miner published on chain: it
 * links to the peer at a good address, and refuses what is not a peer's multiaddr, what the dial
 * policy forbids, and an address whose peer is not the one it names (the handshake proves the id).
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { hotkeyFromSecret } from '../../src/identity/index.ts'
import { createMesh, P2PError, type Mesh } from '../../src/p2p/index.ts'

const meshes: Mesh[] = []
after(async () => {
  for (const m of meshes) await m.stop().catch(() => {})
})

const newMesh = async (name: string, allowPrivateAddresses: boolean): Promise<Mesh> => {
  const mesh = await createMesh({ netuid: 7, signer: await hotkeyFromSecret(`//ConnectAddr${name}`), bootstrap: [], listen: ['/ip4/127.0.0.1/tcp/0/ws'], allowPrivateAddresses })
  await mesh.start()
  meshes.push(mesh)
  return mesh
}

const code = (err: unknown): string => (err instanceof P2PError ? String(err.code) : `not a P2PError: ${String(err)}`)

test('connectAddr links to a published address, and refuses garbage, a private address under a public relay, a relayed address and another peer at the address', { timeout: 60_000 }, async () => {
  const miner = await newMesh('Miner', true)
  const validator = await newMesh('Validator', true)
  const strict = await newMesh('Strict', false)
  const other = await newMesh('Other', true)
  const addr = miner.multiaddrs.find((a) => a.includes('/ws'))!
  assert.match(addr, new RegExp(`/p2p/${miner.peerId}$`))

  await validator.connectAddr(addr)
  assert.ok(validator.libp2p.getConnections(miner.libp2p.peerId).length > 0, 'linked')
  await validator.connectAddr(addr) // already linked: nothing to do

  for (const bad of ['garbage', '/ip4/127.0.0.1/tcp/1/ws', `/ip4/300.1.1.1/tcp/1/ws/p2p/${miner.peerId}`, '/ip4/127.0.0.1/tcp/1/ws/p2p/not-a-peer-id']) {
    assert.equal(code(await validator.connectAddr(bad).then(() => null, (e: unknown) => e)), 'bad_address', bad)
  }
  assert.equal(code(await strict.connectAddr(addr).then(() => null, (e: unknown) => e)), 'bad_address', 'loopback refused under a public relay')
  assert.equal(code(await validator.connectAddr(`/ip4/203.0.113.1/tcp/9090/ws/p2p/${other.peerId}/p2p-circuit/p2p/${miner.peerId}`).then(() => null, (e: unknown) => e)), 'bad_address', 'relayed')
  // The miner's address, but naming another peer: the handshake finds the miner there, not it.
  const forged = addr.replace(miner.peerId, other.peerId)
  assert.equal(code(await validator.connectAddr(forged).then(() => null, (e: unknown) => e)), 'dial_failed')
  assert.equal(validator.libp2p.getConnections(other.libp2p.peerId).length, 0)
})

// A relay restart (same key file, same port) must not strand peers: they reconnect by themselves,
// and a peer joining after the restart is found by the ones that were there before.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import { createMesh, createRelay, type Envelope, type Mesh, type Relay } from '../../src/p2p/index.ts'
import { until } from './harness.ts'

const NETUID = 9
const keyFile = join(await mkdtemp(join(tmpdir(), 'webtensor-relay-')), 'relay.key')
let relay: Relay = await createRelay({ host: '127.0.0.1', port: 0, keyFile })
await relay.start()
const bootstrap = relay.multiaddrs
const port = Number(/\/tcp\/(\d+)\//.exec(bootstrap[0])![1])
const meshes: Mesh[] = []

async function join_(secret: string): Promise<Mesh> {
  const mesh = await createMesh({ netuid: NETUID, signer: await hotkeyFromSecret(secret), bootstrap, listen: ['/ip4/127.0.0.1/tcp/0'] })
  await mesh.start()
  meshes.push(mesh)
  return mesh
}

after(async () => {
  await Promise.all(meshes.map((m) => m.stop()))
  await relay.stop()
})

const connectedTo = (m: Mesh, peerId: string) => m.libp2p.getConnections().some((c) => c.remotePeer.toString() === peerId && c.status === 'open')

test('peers reconnect to a restarted relay and still discover newcomers', async () => {
  const a = await join_('//RestartA')
  const b = await join_('//RestartB')
  await until('A and B connected directly', () => connectedTo(a, b.peerId))
  const relayId = relay.peerId

  await relay.stop()
  await until('both to notice the relay is gone', () => !connectedTo(a, relayId) && !connectedTo(b, relayId))
  assert.ok(connectedTo(a, b.peerId), 'the direct link survives the relay going away')

  relay = await createRelay({ host: '127.0.0.1', port, keyFile })
  await relay.start()
  assert.equal(relay.peerId, relayId, 'the key file keeps the peer id')
  await until('both to reconnect to the relay', () => connectedTo(a, relayId) && connectedTo(b, relayId), 30_000)

  const c = await join_('//RestartC')
  await until('the newcomer to be connected to A and B', () => connectedTo(c, a.peerId) && connectedTo(c, b.peerId), 30_000)
  const got: Envelope<'announce'>[] = []
  c.subscribe('announce', (e) => got.push(e))
  await new Promise((r) => setTimeout(r, 1500)) // heartbeat: graft C into the topic mesh
  await a.publish('announce', { role: 'validator', agent: 'test' })
  await until('C to receive A’s announce', () => got.length === 1)
  assert.equal(got[0].peerId, a.peerId)
})

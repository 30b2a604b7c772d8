// Circuit relay reservations with real clients: one IP holds at most maxReservationsPerIp of them,
// the others are refused (here every client connects from 127.0.0.1); a leaver's slot is freed.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createLibp2p, type Libp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { multiaddr } from '@multiformats/multiaddr'
import { createRelay } from '../../src/p2p/index.ts'
import { until } from './harness.ts'

const relay = await createRelay({ host: '127.0.0.1', port: 0, maxReservations: 10, maxReservationsPerIp: 2 })
await relay.start()
const clients: Libp2p[] = []

after(async () => {
  await Promise.all(clients.map((c) => c.stop()))
  await relay.stop()
})

/** A bare libp2p node that listens through any relay it connects to, as a browser does. */
async function client(): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: ['/p2p-circuit'] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify() },
  })
  clients.push(node)
  return node
}

const relayed = (n: Libp2p) => n.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit'))

test('one IP gets at most maxReservationsPerIp reservations; the rest are refused', async () => {
  const [a, b, c] = [await client(), await client(), await client()]
  for (const n of [a, b]) await n.dial(multiaddr(relay.multiaddrs[0]))
  await until('two reservations', () => relay.metrics().reservations === 2 && relayed(a) && relayed(b))
  await c.dial(multiaddr(relay.multiaddrs[0]))
  await until('the third request to be refused', () => relay.metrics().reservationsDenied.per_ip >= 1)
  assert.equal(relay.metrics().reservations, 2)
  assert.equal(relayed(c), false, 'no relayed address for the refused client')
  // A slot is freed when its holder leaves, and another client from the same IP can take it.
  await a.stop()
  await until('the leaver\'s reservation to go', () => relay.metrics().reservations === 1)
  const d = await client()
  await d.dial(multiaddr(relay.multiaddrs[0]))
  await until('a newcomer to reserve the freed slot', () => relay.metrics().reservations === 2 && relayed(d))
})

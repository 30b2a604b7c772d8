// Opt-in (WEBTENSOR_HEAVY=1, ~50 s): a circuit-relay client renews its reservation before the
// relay's lifetime runs out, so a browser never loses its relay. The client renews 5 min before
// expiry, but never sooner than 30 s after reserving; with a 40 s lifetime the renewal comes at
// 30 s, and without it the relay would drop the reservation at 40 s.
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

const TTL_MS = 40_000
const relay = await createRelay({ host: '127.0.0.1', port: 0, reservationTtlMs: TTL_MS })
await relay.start()
const client: Libp2p = await createLibp2p({
  addresses: { listen: ['/p2p-circuit'] },
  transports: [webSockets(), circuitRelayTransport()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionGater: { denyDialMultiaddr: () => false },
  services: { identify: identify() },
})

after(async () => {
  await client.stop()
  await relay.stop()
})

test('the client renews its reservation before it expires', { timeout: 120_000 }, async () => {
  let updates = 0
  client.addEventListener('self:peer:update', () => updates++)
  await client.dial(multiaddr(relay.multiaddrs[0]))
  await until('a reservation', () => relay.metrics().reservations === 1 && client.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')))
  const t0 = Date.now()
  await new Promise((r) => setTimeout(r, TTL_MS + 8_000))
  assert.equal(relay.metrics().reservations, 1, 'the reservation outlived its first lifetime: it was renewed')
  assert.ok(client.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')), 'the client still listens through the relay')
  console.log(`reservation alive ${((Date.now() - t0) / 1000).toFixed(0)} s after it was made (lifetime ${TTL_MS / 1000} s); address updates seen: ${updates}`)
})

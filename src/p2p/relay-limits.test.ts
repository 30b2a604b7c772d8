import { test } from 'node:test'
import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { defaultMaxReservationsPerIp, ipOf, ReservationLimiter, reservationGate, RESERVATION_TTL_MS, type RelayView } from './relay-limits.ts'

const NOW = 1_800_000_000_000

test('one IP holds at most maxPerIp reservations; a renewal never counts against its own holder', () => {
  const limiter = new ReservationLimiter({ maxPerIp: 2, requestRate: { perSecond: 100, burst: 100 } })
  const held = [
    { peer: 'A', ip: '1.1.1.1' },
    { peer: 'B', ip: '1.1.1.1' },
    { peer: 'C', ip: '2.2.2.2' },
  ]
  assert.equal(limiter.check('D', ['1.1.1.1'], held, NOW), 'per_ip')
  assert.equal(limiter.check('D', ['3.3.3.3', '1.1.1.1'], held, NOW), 'per_ip', 'any of its IPs being full refuses it')
  assert.equal(limiter.check('D', ['2.2.2.2'], held, NOW), undefined)
  assert.equal(limiter.check('A', ['1.1.1.1'], held, NOW), undefined, 'A renews its own')
  assert.deepEqual(limiter.denied, { per_ip: 2, rate: 0 })
})

test('reservation requests per peer are rate-limited (new ones and renewals alike)', () => {
  const limiter = new ReservationLimiter({ maxPerIp: 100, requestRate: { perSecond: 1 / 60, burst: 3 } })
  const outcomes = Array.from({ length: 5 }, () => limiter.check('A', ['1.1.1.1'], [], NOW))
  assert.deepEqual(outcomes, [undefined, undefined, undefined, 'rate', 'rate'])
  assert.equal(limiter.check('B', ['1.1.1.1'], [], NOW), undefined, 'another peer has its own budget')
  assert.equal(limiter.check('A', ['1.1.1.1'], [], NOW + 60_000), undefined, 'one request a minute later')
})

test('defaults: a shorter lifetime than the 2 h of the library, renewable by the client; a per-IP share of the slots', () => {
  // The circuit-relay client renews 5 min before expiry and only once under 10 min remain.
  assert.ok(RESERVATION_TTL_MS >= 10 * 60_000 && RESERVATION_TTL_MS <= 30 * 60_000)
  assert.equal(defaultMaxReservationsPerIp(512), 64)
  assert.equal(defaultMaxReservationsPerIp(15), 16)
  assert.equal(ipOf('/ip4/1.2.3.4/tcp/9090/ws'), '1.2.3.4')
  assert.equal(ipOf('/ip6/2001:db8::1/tcp/1'), '2001:db8::1')
  assert.equal(ipOf('/dns4/relay.example.org/tcp/443/tls/ws'), undefined)
})

test('the gate reads connections and held reservations from the running relay', () => {
  const peers = ['12D3KooWGzBJ6GQvwzVxNHTXZmAT5qy7uXh4vkMQbuCAaeyWQM3P', '12D3KooWHFrmLWTTDD4NodngtRMEVYgxrsDMp4F9eKdM6tUuRGAm', '12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X']
  const held = new Map<string, string>([[peers[0], '/ip4/9.9.9.9/tcp/1'], [peers[1], '/ip4/9.9.9.9/tcp/2']])
  const view: RelayView = {
    connectionAddrs: (p) => (p.toString() === peers[2] ? ['/ip4/9.9.9.9/tcp/3', '/ip4/7.7.7.7/tcp/1/p2p/R/p2p-circuit'] : []),
    reservations: () => [...held].map(([peer, addr]) => ({ peer, addr })),
  }
  const limiter = new ReservationLimiter({ maxPerIp: 2 })
  const deny = reservationGate(limiter, () => view)
  assert.equal(deny(peerIdFromString(peers[2])), true)
  held.delete(peers[1])
  assert.equal(deny(peerIdFromString(peers[2])), false)
  assert.equal(reservationGate(limiter, () => undefined)(peerIdFromString(peers[2])), true, 'refuses before the relay runs')
})

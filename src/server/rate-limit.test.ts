import { test } from 'node:test'
import assert from 'node:assert/strict'
import { clientKey } from './client-address.ts'
import { createRateLimiter } from './rate-limit.ts'

test('a token bucket per client: a burst, then one request per refill, with Retry-After', () => {
  let t = 0
  const limiter = createRateLimiter({ burst: 3, perSecond: 1, maxClients: 10 }, () => t)
  assert.deepEqual([1, 2, 3].map(() => limiter.take('a').ok), [true, true, true])
  assert.deepEqual(limiter.take('a'), { ok: false, retryAfterS: 1 })
  assert.equal(limiter.take('b').ok, true, 'another client has its own bucket')
  t = 999
  assert.equal(limiter.take('a').ok, false, 'not yet a whole token')
  t = 2000
  assert.equal(limiter.take('a').ok, true)
  t = 100_000
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a').ok), [true, true, true, false], 'refills only up to the burst')
})

test('memory is bounded: the least recently seen client is forgotten first', () => {
  const limiter = createRateLimiter({ burst: 1, perSecond: 0.001, maxClients: 100 }, () => 0)
  assert.equal(limiter.take('keep').ok, true)
  for (let i = 0; i < 1000; i++) {
    limiter.take(`c${i}`)
    if (i % 50 === 0) assert.equal(limiter.take('keep').ok, false, 'a recent client stays remembered (and limited)')
  }
  assert.equal(limiter.size, 100)
  assert.equal(limiter.take('c0').ok, true, 'an old client was forgotten: it starts with a full bucket')
})

test('clients are keyed by IPv4 address or IPv6 /64', () => {
  assert.equal(clientKey('10.0.0.1'), '10.0.0.1')
  assert.equal(clientKey('::ffff:10.0.0.1'), '10.0.0.1')
  assert.equal(clientKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64')
  assert.equal(clientKey('2001:db8:1:2::9'), clientKey('2001:0db8:0001:0002:ffff::1'))
  assert.equal(clientKey('::1'), '0:0:0:0::/64')
  assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64')
  assert.equal(clientKey(undefined), 'unknown')
  assert.equal(clientKey('garbage'), 'unknown')
})

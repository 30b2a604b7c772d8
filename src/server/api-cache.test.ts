import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createApiCache, rawJson } from './api-cache.ts'

test('an endpoint is serialised once per version, or once per TTL, or every time without either', () => {
  let t = 0
  let version = 1
  let produced = 0
  const cache = createApiCache(
    {
      '/v': { get: () => ({ n: ++produced, version }), version: () => version },
      '/ttl': { get: () => ({ t }), ttlMs: 1000 },
      '/both': { get: () => ({ version, t }), version: () => version, ttlMs: 1000 },
      '/plain': () => ({ t, big: 2n ** 64n }),
      '/raw': { get: () => rawJson('[1,2]'), version: () => 'fixed' },
    },
    () => t,
  )
  const text = (p: string): string => cache.body(p)!.body.toString()
  assert.equal(text('/v'), '{"n":1,"version":1}')
  assert.equal(text('/v'), '{"n":1,"version":1}', 'same version: the same bytes, not produced again')
  version = 2
  assert.equal(text('/v'), '{"n":2,"version":2}')
  assert.equal(cache.serialisations['/v'], 2)

  assert.equal(text('/ttl'), '{"t":0}')
  t = 999
  assert.equal(text('/ttl'), '{"t":0}')
  t = 1000
  assert.equal(text('/ttl'), '{"t":1000}')

  assert.equal(text('/both'), '{"version":2,"t":1000}')
  version = 3
  assert.equal(text('/both'), '{"version":3,"t":1000}', 'a new version beats the TTL')
  t = 2500
  assert.equal(text('/both'), '{"version":3,"t":2500}', 'the TTL beats an unchanged version')

  assert.equal(text('/plain'), '{"t":2500,"big":"18446744073709551616"}')
  text('/plain')
  assert.equal(cache.serialisations['/plain'], 2, 'no version, no TTL: produced on every request')
  assert.equal(text('/raw'), '[1,2]')
  assert.equal(cache.body('/nope'), undefined)
})

test('the ETag follows the bytes', () => {
  let v = 0
  const cache = createApiCache({ '/x': { get: () => ({ v: v >= 2 ? 'b' : 'a' }), version: () => v } })
  const first = cache.body('/x')!.etag
  v = 1
  assert.equal(cache.body('/x')!.etag, first, 'same bytes under a new version: same ETag')
  v = 2
  assert.notEqual(cache.body('/x')!.etag, first)
  assert.match(first, /^"[\w-]{22}"$/)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encode } from 'cborg'
import { Directory, encodeDirectory, encodeRecord, parseDirectory, parseRecord } from './discovery.ts'

const addr = (port: number, id: string) => `/ip4/10.0.0.1/tcp/${port}/p2p/${id}`

test('records round-trip; malformed or oversized ones are refused', () => {
  assert.deepEqual(parseRecord(encodeRecord({ addrs: [addr(1, 'A')], slots: 3 })), { addrs: [addr(1, 'A')], slots: 3 })
  assert.deepEqual(parseRecord(encodeRecord({ addrs: [] })), { addrs: [] })
  for (const bad of [
    encode({ addrs: 'x' }),
    encode({ addrs: ['no-slash'] }),
    encode({ addrs: [addr(1, 'A')], slots: -1 }),
    encode({ addrs: [addr(1, 'A')], slots: 1.5 }),
    encode({ addrs: Array.from({ length: 33 }, (_, i) => addr(i, 'A')) }),
    encode({ addrs: ['/' + 'x'.repeat(600)] }),
    encode([1, 2]),
    new Uint8Array([0xff, 0x00]),
    new Uint8Array(5000),
  ]) {
    assert.equal(parseRecord(bad), undefined)
  }
})

test('the directory lists open peers before full ones, newest first, never the requester', () => {
  const d = new Directory(60_000)
  d.heard('A', { addrs: [addr(1, 'A')], slots: 2 }, 0)
  d.heard('B', { addrs: [addr(2, 'B')], slots: 0 }, 1)
  d.heard('C', { addrs: [addr(3, 'C')] }, 2)
  d.heard('A', { addrs: [addr(9, 'A')], slots: 1 }, 3) // a newer record replaces the old one
  assert.deepEqual(
    d.list('C', 10).map((e) => [e.id, e.addrs[0], e.slots]),
    [
      ['A', addr(9, 'A'), 1],
      ['B', addr(2, 'B'), 0],
    ],
  )
  assert.deepEqual(d.list('X', 10).map((e) => e.id), ['A', 'C', 'B'])
  assert.deepEqual(d.list('X', 10, 1).map((e) => e.id), ['A'])
  d.forget('A')
  assert.deepEqual(d.list('X', 10).map((e) => e.id), ['C', 'B'])
  // Records older than maxAge are dropped.
  assert.deepEqual(d.list('X', 60_003).map((e) => e.id), [])
  assert.equal(d.size, 0)
})

test('directory answers round-trip and any bytes parse to a list of valid entries (fuzz)', () => {
  const entries = [
    { id: 'A', addrs: [addr(1, 'A')], slots: 4 },
    { id: 'B', addrs: [addr(2, 'B')] },
  ]
  assert.deepEqual(parseDirectory(encodeDirectory(entries)), entries)
  // Bad entries are dropped one by one; a non-list answer gives none.
  assert.deepEqual(parseDirectory(encode([{ id: 'A', addrs: [addr(1, 'A')] }, { id: 7, addrs: [] }, { id: 'C', addrs: 'x' }])), [{ id: 'A', addrs: [addr(1, 'A')] }])
  assert.deepEqual(parseDirectory(encode({ id: 'A' })), [])
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      for (const e of parseDirectory(bytes)) {
        assert.equal(typeof e.id, 'string')
        assert.ok(Array.isArray(e.addrs) && e.addrs.every((a) => typeof a === 'string' && a.startsWith('/')))
      }
      const r = parseRecord(bytes)
      if (r !== undefined) assert.ok(r.addrs.every((a) => a.startsWith('/')))
    }),
    { numRuns: 2000 },
  )
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRange } from './byte-range.ts'

test('single byte ranges: first-last, open-ended, suffix, clipped to the size', () => {
  assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 })
  assert.deepEqual(parseRange('bytes=500-', 1000), { start: 500, end: 999 })
  assert.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 })
  assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 })
  assert.deepEqual(parseRange('bytes=990-2000', 1000), { start: 990, end: 999 })
  assert.deepEqual(parseRange('Bytes = 1 - 1', 1000), { start: 1, end: 1 })
})

test('ranges past the end are unsatisfiable; anything else is ignored (whole file)', () => {
  assert.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable')
  assert.equal(parseRange('bytes=1000-1001', 1000), 'unsatisfiable')
  assert.equal(parseRange('bytes=-0', 1000), 'unsatisfiable')
  assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable')
  for (const ignored of [undefined, '', 'bytes=', 'bytes=-', 'bytes=5-1', 'bytes=0-1,5-6', 'items=0-1', 'bytes=a-b', 'bytes=1e3-', `bytes=${'9'.repeat(16)}-`, 'bytes=0-1\0']) {
    assert.equal(parseRange(ignored, 1000), null, String(ignored))
  }
})

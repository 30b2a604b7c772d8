import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cacheEntry, makeCacheRecord, modelFolder, parseCacheRecord, parseContentRange, rangeAnswer, recordVouches, resumeOffset } from './cache-record.ts'

const SHA = 'ab'.repeat(32)

test('a record round-trips, and anything malformed is no record', () => {
  const r = makeCacheRecord(10, SHA.toUpperCase(), 1700000000123)
  assert.deepEqual(parseCacheRecord(JSON.stringify(r)), { v: 1, size: 10, sha256: SHA, lastModified: 1700000000123 })
  for (const bad of ['', 'null', '[]', '{', JSON.stringify({ ...r, v: 2 }), JSON.stringify({ ...r, size: -1 }), JSON.stringify({ ...r, size: 1.5 }),
    JSON.stringify({ ...r, sha256: 'zz'.repeat(32) }), JSON.stringify({ ...r, sha256: SHA.toUpperCase() }), JSON.stringify({ ...r, lastModified: '1' }), ' '.repeat(2000)]) {
    assert.equal(parseCacheRecord(bad), null, bad.slice(0, 60))
  }
})

test('a record vouches for a file only when the file is as verified and the manifest agrees', () => {
  const r = makeCacheRecord(10, SHA, 5000)
  const now = { size: 10, lastModified: 5000 }
  assert.equal(recordVouches(r, now, { size: 10, sha256: SHA.toUpperCase() }), true)
  assert.equal(recordVouches(r, now, undefined), true, 'unpinned: the record alone')
  assert.equal(recordVouches(null, now, { size: 10, sha256: SHA }), false)
  assert.equal(recordVouches(r, { size: 10, lastModified: 5001 }, { size: 10, sha256: SHA }), false, 'rewritten since')
  assert.equal(recordVouches(r, { size: 9, lastModified: 5000 }, { size: 10, sha256: SHA }), false, 'truncated since')
  assert.equal(recordVouches(r, now, { size: 10, sha256: 'cd'.repeat(32) }), false, 'the manifest pins other bytes')
  assert.equal(recordVouches(r, now, { size: 11, sha256: SHA }), false)
})

test('cache folders and entries: safe names only, and parts/records in their own trees', () => {
  assert.deepEqual(modelFolder('webtensor/tiny-gpt2', 'main'), ['webtensor', 'tiny-gpt2', 'main'])
  for (const [id, rev] of [['../x', 'main'], ['a/b/c', 'main'], ['a/b', '..'], ['a/b', ''], ['a/b', 'x/y'], ['a/b', '.hidden']]) assert.equal(modelFolder(id, rev), null, `${id} ${rev}`)
  assert.deepEqual(cacheEntry('files', 'onnx/model.onnx'), { dirs: ['files', 'onnx'], name: 'model.onnx' })
  assert.deepEqual(cacheEntry('partial', 'onnx/model.onnx'), { dirs: ['partial', 'onnx'], name: 'model.onnx.part' })
  assert.deepEqual(cacheEntry('records', 'config.json'), { dirs: ['records'], name: 'config.json.json' })
  // A manifest file called `x.part` is a file like any other, not another file's part.
  assert.deepEqual(cacheEntry('files', 'x.part'), { dirs: ['files'], name: 'x.part' })
  for (const bad of ['', '/etc/passwd', '../x', 'a/../b', 'a//b', 'a\\b', '.']) assert.equal(cacheEntry('files', bad), null, bad)
})

test('a part resumes only when it is a proper prefix of a file of known size', () => {
  assert.equal(resumeOffset(100, 1000), 100)
  assert.equal(resumeOffset(1000, 1000), 1000, 'whole: checked without the network')
  assert.equal(resumeOffset(1001, 1000), 0)
  assert.equal(resumeOffset(100, undefined), 0, 'unpinned: nothing to check a stitched file against')
  assert.equal(resumeOffset(0, 1000), 0)
})

test('range answers: 206 from the offset appends, 200 restarts, anything inconsistent retries from 0', () => {
  assert.equal(rangeAnswer(206, 'bytes 100-999/1000', 100, 1000), 'append')
  assert.equal(rangeAnswer(206, 'bytes 100-999/*', 100, 1000), 'append')
  assert.equal(rangeAnswer(200, null, 100, 1000), 'restart')
  assert.equal(rangeAnswer(200, null, 0, 1000), 'restart')
  assert.equal(rangeAnswer(206, 'bytes 0-999/1000', 0, 1000), 'fail', 'a 206 to a request without Range')
  assert.equal(rangeAnswer(206, 'bytes 50-999/1000', 100, 1000), 'retry', 'another range')
  assert.equal(rangeAnswer(206, 'bytes 100-1999/2000', 100, 1000), 'retry', 'another file size')
  assert.equal(rangeAnswer(206, null, 100, 1000), 'retry')
  assert.equal(rangeAnswer(416, 'bytes */50', 100, 1000), 'retry')
  assert.equal(rangeAnswer(404, null, 100, 1000), 'missing')
  assert.equal(rangeAnswer(500, null, 100, 1000), 'fail')
  assert.deepEqual(parseContentRange('bytes 5-9/10'), { start: 5, end: 9, total: 10 })
  for (const bad of ['bytes 5-9/9', 'bytes 9-5/10', 'bytes=5-9/10', 'bytes 5-/10', `bytes 1-2/${'9'.repeat(16)}`, 'items 5-9/10']) assert.equal(parseContentRange(bad), null, bad)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { contentMsgId, fastMsgIdFn, msgIdFn, useSha256 } from './msg-id.ts'
import { ensureRuntime } from './runtime.ts'

const sha256 = (d: Uint8Array) => new Uint8Array(createHash('sha256').update(d).digest())
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

test('a message id is the first 20 bytes of SHA-256 over the message, the same from every entry point', () => {
  const data = new TextEncoder().encode('a gossip message')
  const id = contentMsgId(data)
  assert.deepEqual(id, sha256(data).subarray(0, 20))
  assert.deepEqual(msgIdFn({ data }), id)
  assert.equal(fastMsgIdFn({ data }), hex(id))
  // Another copy of the same bytes has the same id; one byte more or less does not.
  assert.deepEqual(contentMsgId(data.slice()), id)
  assert.notDeepEqual(contentMsgId(data.subarray(1)), id)
  assert.equal(fastMsgIdFn({}), hex(sha256(new Uint8Array(0)).subarray(0, 20)))
})

test('a replacement SHA-256 is adopted only when it gives the right digests', async () => {
  assert.equal(useSha256((d) => sha256(d).reverse()), false)
  assert.equal(useSha256(() => new Uint8Array(32)), false)
  assert.equal(
    useSha256(() => {
      throw new Error('no')
    }),
    false,
  )
  const data = new Uint8Array(1300).fill(3)
  assert.deepEqual(contentMsgId(data), sha256(data).subarray(0, 20))
  await ensureRuntime() // installs Node's native SHA-256
  const fresh = new Uint8Array(1300).fill(4)
  assert.deepEqual(contentMsgId(fresh), sha256(fresh).subarray(0, 20))
  assert.equal(useSha256(sha256), true)
})

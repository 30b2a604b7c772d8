import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAppServer } from '../server/index.ts'
import { exactEpoch, ownerLog } from '../../test/support/owner-log.ts'
import { logLine } from './log.ts'
import { LogFetchError, LogFollower, type LogSink } from './log-follower.ts'
import { LogVerifier, type VerifierUpdate } from './log-verifier.ts'

/** A sink that verifies in this thread and remembers every update and reset. */
function sink(ownerHotkey: string): LogSink & { updates: VerifierUpdate[]; resets: number } {
  let verifier = new LogVerifier(exactEpoch, { ownerHotkey })
  const s = {
    updates: [] as VerifierUpdate[],
    resets: 0,
    async reset() {
      s.resets++
      verifier = new LogVerifier(exactEpoch, { ownerHotkey })
    },
    async push(text: string) {
      const u = verifier.push(text)
      s.updates.push(u)
      return u
    },
  }
  return s
}

test('the follower fetches only what is new (Range), whole lines only, and starts over when the log shrinks or is rewritten', async () => {
  const net = await ownerLog(30)
  await net.owner.stop()
  const lines = net.entries.map(logLine)
  const dir = mkdtempSync(join(tmpdir(), 'wt-follow-'))
  const file = join(dir, 'log.jsonl')
  const server = createAppServer({ host: '127.0.0.1', port: 0, mounts: [{ prefix: '/chain/', dir, allow: /[\\/]log\.jsonl$/, cacheControl: 'no-cache' }], api: {} })
  await server.start()
  const ranges: (string | null)[] = []
  const spy: typeof fetch = (input, init) => {
    ranges.push(new Headers(init?.headers).get('range'))
    return fetch(input, init)
  }
  try {
    const owner = net.manifest.owner.hotkey
    const s = sink(owner)
    const follower = new LogFollower({ url: new URL('/chain/log.jsonl', server.url), sink: s, fetch: spy })
    // Ten entries and half of the eleventh (an append in progress).
    const head = lines.slice(0, 10).join('')
    writeFileSync(file, head + lines[10]!.slice(0, 40))
    let r = await follower.sync()
    assert.equal(r.updates.length, 1)
    assert.equal(r.updates[0]!.head.seq, 9)
    assert.equal(r.offset, Buffer.byteLength(head))
    assert.equal(ranges.at(-1), null, 'the first read takes the whole file')

    appendFileSync(file, lines[10]!.slice(40) + lines.slice(11).join(''))
    r = await follower.sync()
    assert.equal(ranges.at(-1), `bytes=${Buffer.byteLength(head) - 1}-`, 'then only from the last newline on')
    assert.equal(r.restarted, null)
    assert.equal(r.updates[0]!.head.seq, lines.length - 1)
    assert.equal(r.updates[0]!.ok, true)
    const all = new LogVerifier(exactEpoch, { ownerHotkey: owner }).push(lines.join(''))
    assert.deepEqual(s.updates.flatMap((u) => u.epochs), all.epochs)

    r = await follower.sync()
    assert.deepEqual(r.updates, [], 'nothing new, nothing pushed')

    // The log shrank (a new chain in the same place): 416, and a fresh read from byte 0.
    truncateSync(file, Buffer.byteLength(lines.slice(0, 5).join('')))
    r = await follower.sync()
    assert.match(r.restarted ?? '', /shrank/)
    assert.equal(s.resets, 1)
    assert.equal(r.updates.at(-1)!.head.seq, 4)

    // Rewritten under the reader: the byte before the offset is no longer a newline.
    writeFileSync(file, ` ${lines.join('')}`)
    r = await follower.sync()
    assert.match(r.restarted ?? '', /rewritten/)
    assert.equal(r.updates.at(-1)!.head.seq, lines.length - 1)
    assert.equal(r.updates.at(-1)!.ok, true)
  } finally {
    await server.stop()
  }
})

test('a whole file where a range was asked means starting over; twice in one sync, or an HTTP error, is an error', async () => {
  const net = await ownerLog(12)
  await net.owner.stop()
  const text = net.entries.map(logLine).join('')
  const bytes = new TextEncoder().encode(text)
  const s = sink(net.manifest.owner.hotkey)
  let mode: 'honest' | 'ignore-range' | 'wrong-start' | 'gone' = 'honest'
  const fake: typeof fetch = async (_input, init) => {
    const range = new Headers(init?.headers).get('range')
    const from = range === null ? null : Number(/bytes=(\d+)-/.exec(range)![1])
    if (mode === 'gone') return new Response('no', { status: 404 })
    if (mode === 'wrong-start') {
      const start = (from ?? 0) + 1
      return new Response(bytes.subarray(start), { status: 206, headers: { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } })
    }
    if (from === null || mode === 'ignore-range') return new Response(bytes, { status: 200 })
    const start = from
    return new Response(bytes.subarray(start), { status: 206, headers: { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } })
  }
  const follower = new LogFollower({ url: 'http://owner.example/chain/log.jsonl', sink: s, fetch: fake, maxPushBytes: 1500 })
  const first = await follower.sync()
  assert.ok(first.updates.length > 2, 'a long read is pushed in pieces of whole lines')
  assert.deepEqual(first.updates.flatMap((u) => u.epochs), new LogVerifier(exactEpoch, { ownerHotkey: net.manifest.owner.hotkey }).push(text).epochs)
  assert.equal(first.updates.at(-1)!.head.seq, net.entries.length - 1)
  mode = 'ignore-range'
  const r = await follower.sync()
  assert.match(r.restarted ?? '', /whole log/)
  assert.equal(r.updates.at(-1)!.head.seq, net.entries.length - 1)
  assert.equal(follower.offset, bytes.length)
  mode = 'wrong-start'
  await assert.rejects(follower.sync(), (err: unknown) => err instanceof LogFetchError && err.code === 'inconsistent')
  mode = 'gone'
  await follower.restart()
  await assert.rejects(follower.sync(), (err: unknown) => err instanceof LogFetchError && err.code === 'unreadable')
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { corkedFlush, installSocketCork } from './socket-cork.ts'
import { AbstractMultiaddrConnection } from '@libp2p/utils'

test('writes made while corked leave in one writev, in order, on the next tick', async () => {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const client = connect(port, '127.0.0.1')
  await once(client, 'connect')
  const [peer] = await accepted
  const received: Buffer[] = []
  peer.on('data', (b: Buffer) => received.push(b))

  // Count what reaches the libuv handle: one writev instead of three writes.
  const handle = (client as unknown as { _handle: Record<string, (...a: unknown[]) => unknown> })._handle
  const calls: string[] = []
  for (const name of ['writeBuffer', 'writev', 'writeLatin1String', 'writeUtf8String']) {
    const fn = handle[name]
    handle[name] = (...a: unknown[]) => {
      calls.push(name)
      return fn.apply(handle, a)
    }
  }
  const parts = [Buffer.from([0, 5]), Buffer.from('hello'), Buffer.from('-tag-')]
  corkedFlush(client, () => {
    for (const p of parts) client.write(p)
  })
  assert.deepEqual(calls, [], 'nothing is written before the tick ends')
  await new Promise((r) => process.nextTick(r))
  assert.deepEqual(calls, ['writev'])
  while (Buffer.concat(received).length < 12) await once(peer, 'data')
  assert.deepEqual(Buffer.concat(received), Buffer.concat(parts))
  client.destroy()
  peer.destroy()
  server.close()
})

test('installs on libp2p connections once, and a destroyed socket is left alone', () => {
  installSocketCork()
  const proto = AbstractMultiaddrConnection.prototype as unknown as { processSendQueue: unknown }
  const wrapped = proto.processSendQueue
  installSocketCork()
  assert.equal(proto.processSendQueue, wrapped)
  let uncorked = 0
  const socket = { cork() {}, uncork: () => uncorked++, destroyed: true }
  assert.equal(corkedFlush(socket, () => 42), 42)
  return new Promise<void>((resolve) =>
    process.nextTick(() => {
      assert.equal(uncorked, 0)
      resolve()
    }),
  )
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { ensureRuntime, isNode } from './runtime.ts'

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

test('a WebSocket dial whose caller dropped its listeners fails quietly instead of ending the process', { skip: !isNode }, async () => {
  await ensureRuntime()
  const port = await closedPort()
  const uncaught: unknown[] = []
  const onUncaught = (err: unknown): void => void uncaught.push(err)
  // node:test reports an uncaught exception as a failure of the running test: catch it here to name it.
  process.on('uncaughtException', onUncaught)
  try {
    const seen: string[] = []
    const socket = new globalThis.WebSocket(`ws://127.0.0.1:${port}`)
    const mine = (): void => void seen.push('error')
    socket.addEventListener('error', mine)
    // What libp2p's dialer does when it gives a dial up: its listener goes, the connect error comes later.
    socket.removeEventListener('error', mine)
    const other = new globalThis.WebSocket(`ws://127.0.0.1:${port}`)
    other.addEventListener('error', () => void seen.push('other'))
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.deepEqual(uncaught, [])
    assert.deepEqual(seen, ['other']) // a listener that stays still gets the error
  } finally {
    process.off('uncaughtException', onUncaught)
  }
})

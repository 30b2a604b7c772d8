/**
 * The subtensor client when its socket drops: a TCP proxy between the client and a real subtensor
 * runtime (raonet under chopsticks) cuts every connection and later accepts again; the client
 * fails what was in flight with a typed error, reconnects with back-off, and resumes following
 * heads and epochs, including those built while it was away. Past its attempts it stops with
 * `connection_lost`.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, test } from 'node:test'
import { connectSubtensor, SubtensorError, type ConnectionEvent, type SubtensorClient, type SubtensorEpochResult } from '../../src/chain/subtensor/index.ts'
import { hotkeyFromSecret, type Hotkey } from '../../src/identity/index.ts'
import { raonetAvailable, startChopsticks, TAO, type Chopsticks } from '../support/chopsticks.ts'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts'

const skip = raonetAvailable() ? false : 'needs ../shared/fixtures/subtensor/raonet.json next to the repo'
const TEMPO = 5
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

let chain: Chopsticks
let netuid: number
let validator: Hotkey
const proxies: TcpProxy[] = []
const clients: SubtensorClient[] = []

before(async () => {
  if (skip !== false) return
  chain = await startChopsticks()
  const owner = await hotkeyFromSecret('//ReconnectOwner')
  validator = await hotkeyFromSecret('//ReconnectValidator')
  await chain.fund([owner.address, validator.address], 100_000n * TAO)
  netuid = await chain.createSubnet(owner, { tempo: TEMPO, targetRegistrationsPerInterval: 100, maxRegistrationsPerBlock: 100 })
}, { timeout: 120_000 })

after(async () => {
  for (const c of clients) await c.close().catch(() => {})
  for (const p of proxies) await p.close().catch(() => {})
  await chain?.close()
})

const proxyToChain = async (): Promise<TcpProxy> => {
  const p = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(chain.url).port) })
  proxies.push(p)
  return p
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

test('a dropped socket: calls in flight fail as disconnected, the client reconnects with back-off and follows the heads and epochs it missed', { skip, timeout: 180_000 }, async () => {
  const proxy = await proxyToChain()
  const events: ConnectionEvent[] = []
  const epochs: SubtensorEpochResult[] = []
  const logs: string[] = []
  const client = await connectSubtensor({ url: proxy.url, netuid, signer: validator, retries: 0, reconnect: { attempts: 30, initialDelayMs: 100, maxDelayMs: 800 }, log: (l) => logs.push(l) })
  clients.push(client)
  client.onConnection((e) => events.push(e))
  client.onEpoch((e) => epochs.push(e))
  const before = client.metagraph()!.block
  assert.equal(client.connected(), true)

  // A read whose answer never comes back, then the cut: it fails at once, typed, no hang.
  proxy.freeze()
  const inFlight = client.hyperparams().then(() => null, (e: unknown) => e)
  await sleep(300)
  await proxy.cut()
  const err = await inFlight
  assert.ok(err instanceof SubtensorError && err.code === 'disconnected', String(err))
  assert.equal(client.connected(), false)
  // Called while away: the same error at once, nothing queued behind a dead socket.
  const whileAway = await client.burnedRegister().then(() => null, (e: unknown) => e)
  assert.ok(whileAway instanceof SubtensorError && whileAway.code === 'disconnected', String(whileAway))

  // The chain goes on without the client: more than two epochs.
  await chain.newBlocks(2 * (TEMPO + 1) + 2)
  const headWhileAway = await chain.head()
  await until('two failed reconnect attempts', () => events.filter((e) => e.state === 'reconnecting' && e.attempt > 0).length >= 2)
  await proxy.restore()
  await until('the client to catch up with the head built while it was away', () => (client.metagraph()?.block ?? 0) >= headWhileAway)
  assert.equal(client.connected(), true)
  assert.deepEqual(events.at(-1)?.state, 'connected')
  assert.equal(events[0]!.state, 'reconnecting')
  assert.equal(events[0]!.attempt, 0)
  const missed = epochs.filter((e) => e.block > before && e.block <= headWhileAway)
  assert.ok(missed.length >= 2, `epochs run while away and reported after: ${epochs.map((e) => e.block).join(',')} (before ${before}, head ${headWhileAway})`)

  // The head subscription is back: a new block arrives without asking.
  await chain.newBlocks(1)
  await until('the next head by subscription', () => (client.metagraph()?.block ?? 0) === headWhileAway + 1)
  // And transactions work again.
  const reg = await client.burnedRegister()
  assert.ok(Number.isInteger(reg.uid), String(reg.uid))
  console.log(logs.filter((l) => /dropped|reconnect/.test(l)).join('\n'))
})

test('past its reconnect attempts the client stops with connection_lost', { skip, timeout: 60_000 }, async () => {
  const proxy = await proxyToChain()
  const events: ConnectionEvent[] = []
  const client = await connectSubtensor({ url: proxy.url, netuid, retries: 0, reconnect: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 } })
  clients.push(client)
  client.onConnection((e) => events.push(e))
  await proxy.cut()
  await until('the failure', () => events.some((e) => e.state === 'failed'))
  assert.deepEqual(events.map((e) => `${e.state}/${e.attempt}`), ['reconnecting/0', 'reconnecting/1', 'reconnecting/2', 'reconnecting/3', 'failed/3'])
  await proxy.restore() // too late: the client gave up
  const err = await client.hyperparams().then(() => null, (e: unknown) => e)
  assert.ok(err instanceof SubtensorError && err.code === 'connection_lost', String(err))
  assert.match(err.message, /3 reconnect attempt/)
})

test('a port with nothing listening fails with unreachable after its retries', { timeout: 30_000 }, async () => {
  const free = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
  const logs: string[] = []
  const err = await connectSubtensor({ url: `ws://127.0.0.1:${free}`, netuid: 1, retries: 2, retryDelayMs: 50, timeoutMs: 2000, log: (l) => logs.push(l) }).then(() => null, (e: unknown) => e)
  assert.ok(err instanceof SubtensorError && err.code === 'unreachable', String(err))
  assert.match(err.message, new RegExp(`ws://127\\.0\\.0\\.1:${free} after 3 attempt`))
  assert.equal(logs.length, 3)
})

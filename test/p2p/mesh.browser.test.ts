// Browser mesh: Chromium tabs (in the private network namespace scripts/test.mjs creates) join
// through a relay, form direct WebRTC connections and exchange signed messages; a Node peer
// joins over WebSockets; a reloaded tab rejoins.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, secureOrigin, TEST_HOST } from '../support/browser.ts'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import { createMesh, createRelay, GOSSIP_KINDS, topicFor, type Envelope, type Mesh, type Relay } from '../../src/p2p/index.ts'
import { buildTestPage, serveDir, until } from './harness.ts'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const NETUID = 5
const TABS = 5
const PER_TAB = 10

interface Received {
  id: string
  hotkey: string
  peerId: string
}
interface PageApi {
  start(o: { bootstrap: string[]; secret: string; netuid: number }): Promise<{ peerId: string; hotkey: string }>
  publish(id: string): Promise<void>
  received(): Received[]
  clear(): void
  webrtcPeers(): string[]
  topicPeers(topic: string): string[]
  connectedTo(peerId: string): boolean
  verifier(): string
}
declare const wt: PageApi

let relay: Relay
let server: { url: string; close(): Promise<void> }
let browser: Browser
let nodePeer: Mesh | undefined
const pages: Page[] = []
const ids: { peerId: string; hotkey: string }[] = []
let bootstrap: string[]
let keyFile: string

async function openTab(i: number): Promise<void> {
  const page = pages[i] ?? (await browser.newPage())
  pages[i] = page
  page.on('pageerror', (e) => console.error(`tab ${i}:`, e.message))
  await page.goto(server.url)
  await page.waitForFunction(() => (globalThis as unknown as { wtReady?: boolean }).wtReady === true)
  ids[i] = await page.evaluate((o) => wt.start(o), { bootstrap, secret: `//Tab${i}`, netuid: NETUID })
}

before(async () => {
  keyFile = join(await mkdtemp(join(tmpdir(), 'webtensor-relay-')), 'relay.key')
  relay = await createRelay({ host: TEST_HOST, port: 0, keyFile })
  await relay.start()
  bootstrap = relay.multiaddrs
  server = await serveDir(await buildTestPage(), TEST_HOST)
  browser = await launchChromium({ webgpu: false, extraArgs: secureOrigin(server.url) })
  for (let i = 0; i < TABS; i++) await openTab(i)
})

after(async () => {
  await browser?.close()
  await nodePeer?.stop()
  await server?.close()
  await relay?.stop()
})

/** Each tab's open WebRTC peers, as last seen by {@link webrtcGraphConnected}. */
let lastWebrtcView = new Map<string, string[]>()

/**
 * True when every tab has a WebRTC link and those links connect all tabs. A link counts only when
 * both ends list it: one side of a WebRTC dial can count a link as open while the other side has
 * not finished (or gave up on) it, and such a half link carries nothing.
 */
async function webrtcGraphConnected(): Promise<boolean> {
  const adj = new Map<string, string[]>()
  for (const [i, p] of pages.entries()) adj.set(ids[i].peerId, await p.evaluate(() => wt.webrtcPeers()))
  lastWebrtcView = adj
  const mutual = (a: string, b: string) => (adj.get(a) ?? []).includes(b) && (adj.get(b) ?? []).includes(a)
  if ([...adj.keys()].some((a) => !(adj.get(a) ?? []).some((b) => mutual(a, b)))) return false
  const seen = new Set([ids[0].peerId])
  const stack = [ids[0].peerId]
  while (stack.length > 0) {
    const a = stack.pop()!
    for (const n of adj.get(a) ?? []) {
      if (adj.has(n) && !seen.has(n) && mutual(a, n)) {
        seen.add(n)
        stack.push(n)
      }
    }
  }
  return seen.size === pages.length
}

async function everyTabHasTopicPeers(min: number): Promise<boolean> {
  for (const p of pages) if ((await p.evaluate((t) => wt.topicPeers(t).length, topicFor(NETUID, 'query'))) < min) return false
  return true
}

test(`${TABS} tabs form direct WebRTC connections`, async (t) => {
  // Generous deadline: on a loaded 2-core machine WebRTC dials take seconds each and a half-open
  // link is only found and replaced after the mesh's identify probe (≈20–35 s).
  // Tabs run as an https page would: a secure context, with WebCrypto's Ed25519.
  for (const p of pages) assert.equal(await p.evaluate(() => globalThis.isSecureContext), true)
  const t0 = Date.now()
  await until('a connected WebRTC graph', webrtcGraphConnected, 120_000)
  t.diagnostic(`mutual WebRTC graph connected after ${Date.now() - t0} ms: ${[...lastWebrtcView.values()].map((l) => l.length).join(',')} links per tab`)
  for (const [i, id] of ids.entries()) {
    const links = (lastWebrtcView.get(id.peerId) ?? []).filter((p) => lastWebrtcView.get(p)?.includes(id.peerId))
    assert.ok(links.length >= 1, `tab ${i} has no WebRTC link`)
  }
  // The relay is not a member of the application topics: it cannot carry app traffic.
  await until('topic peers', () => everyTabHasTopicPeers(1), 30_000)
  for (const p of pages) {
    const topicPeers = await p.evaluate((t) => wt.topicPeers(t), topicFor(NETUID, 'query'))
    assert.ok(!topicPeers.includes(relay.peerId), 'the relay is in a tab’s view of the query topic')
  }
})

test('every signed message from every tab reaches every other tab', async () => {
  // Messages go out once; make sure the links they need are (still) there before sending.
  await until('a connected WebRTC graph', webrtcGraphConnected, 120_000)
  await until('topic peers', () => everyTabHasTopicPeers(1), 30_000)
  await new Promise((r) => setTimeout(r, 1500)) // a gossipsub heartbeat grafts the mesh
  for (const p of pages) await p.evaluate(() => wt.clear())
  for (const [i, p] of pages.entries()) {
    for (let j = 0; j < PER_TAB; j++) await p.evaluate((id) => wt.publish(id), `t${i}-${j}`)
  }
  const expected = (TABS - 1) * PER_TAB
  await until('100% delivery', async () => {
    for (const p of pages) if ((await p.evaluate(() => wt.received().length)) < expected) return false
    return true
  }, 60_000).catch(async (err: unknown) => {
    const counts = await Promise.all(pages.map((p) => p.evaluate(() => wt.received().length)))
    throw new Error(`${String(err)}; received per tab: ${counts.join(', ')} of ${expected}`)
  })
  for (const [i, p] of pages.entries()) {
    // Pages verify hotkey signatures with schnorrkel-wasm (bundled, self-checked), not the slower fallback.
    assert.equal(await p.evaluate(() => wt.verifier()), 'plugged', `tab ${i}'s sr25519 verifier`)
    const got = await p.evaluate(() => wt.received())
    assert.equal(got.length, expected)
    assert.equal(new Set(got.map((r) => r.id)).size, expected, 'no duplicates')
    assert.ok(got.every((r) => r.hotkey !== ids[i].hotkey))
    for (const r of got) {
      const sender = Number(/^t(\d+)-/.exec(r.id)![1])
      assert.equal(r.hotkey, ids[sender].hotkey)
      assert.equal(r.peerId, ids[sender].peerId)
    }
  }
})

test('a Node peer (WebSockets) exchanges signed messages with the tabs', async () => {
  const signer = await hotkeyFromSecret('//NodePeer')
  nodePeer = await createMesh({ netuid: NETUID, signer, bootstrap, listen: [`/ip4/${TEST_HOST}/tcp/0/ws`], gossipKinds: [...GOSSIP_KINDS, 'query'] })
  const got: Envelope<'query'>[] = []
  nodePeer.subscribe('query', (e) => got.push(e))
  await nodePeer.start()
  const node = nodePeer
  await until('the Node peer in every tab’s topic view', async () => {
    for (const p of pages) if (!(await p.evaluate((t) => wt.topicPeers(t), topicFor(NETUID, 'query'))).includes(node.peerId)) return false
    return true
  }, 60_000)
  assert.ok((node.stats().byTransport.websockets ?? 0) >= TABS, 'tabs dialled the Node peer over WebSockets')
  await new Promise((r) => setTimeout(r, 1500))
  for (const p of pages) await p.evaluate(() => wt.clear())
  await node.publish('query', { id: 'from-node', miner: 'any', task: 'test', input: { prompt: `${Date.now()} hi` } })
  for (const [i, p] of pages.entries()) await p.evaluate((id) => wt.publish(id), `b${i}`)
  await until('tabs to get the Node message', async () => {
    for (const p of pages) if (!(await p.evaluate(() => wt.received().some((r) => r.id === 'from-node')))) return false
    return true
  })
  await until('the Node peer to get every tab’s message', () => pages.every((_, i) => got.some((e) => e.payload.id === `b${i}`)))
  assert.ok(got.filter((e) => e.payload.id === 'from-node').length === 0)
})

test('a reloaded tab rejoins the mesh and exchanges messages again', async () => {
  const oldPeer = ids[0].peerId
  await openTab(0) // same page: reload via goto, same hotkey, new libp2p peer id
  assert.notEqual(ids[0].peerId, oldPeer)
  await until('the reloaded tab to have WebRTC links', async () => (await pages[0].evaluate(() => wt.webrtcPeers())).length >= 1, 60_000)
  await until('topic peers after reload', () => everyTabHasTopicPeers(1), 30_000)
  await new Promise((r) => setTimeout(r, 1500))
  for (const p of pages) await p.evaluate(() => wt.clear())
  await pages[0].evaluate(() => wt.publish('after-reload'))
  await pages[1].evaluate(() => wt.publish('to-reloaded'))
  await until('others get the reloaded tab’s message', async () => {
    for (const p of pages.slice(1)) if (!(await p.evaluate(() => wt.received().some((r) => r.id === 'after-reload')))) return false
    return true
  })
  await until('the reloaded tab gets messages', async () => await pages[0].evaluate(() => wt.received().some((r) => r.id === 'to-reloaded')))
  const fromReloaded = await pages[2].evaluate(() => wt.received().find((r) => r.id === 'after-reload'))
  assert.equal(fromReloaded?.peerId, ids[0].peerId)
  assert.equal(fromReloaded?.hotkey, ids[0].hotkey)
})

test('after a relay restart the tabs re-reserve, and a new tab reaches them over WebRTC', async () => {
  const relayId = relay.peerId
  const port = Number(/\/tcp\/(\d+)\//.exec(bootstrap[0])![1])
  await relay.stop()
  await until('tabs to notice the relay is gone', async () => {
    for (const p of pages) if (await p.evaluate((id) => wt.connectedTo(id), relayId)) return false
    return true
  })
  relay = await createRelay({ host: TEST_HOST, port, keyFile })
  await relay.start()
  assert.equal(relay.peerId, relayId)
  await until('tabs to reconnect and re-reserve', () => relay.metrics().reservations >= TABS, 60_000)

  await openTab(TABS) // a newcomer after the restart
  const newcomer = ids[TABS].peerId
  await until('the newcomer to have WebRTC links to the old tabs', async () => (await pages[TABS].evaluate(() => wt.webrtcPeers())).length >= 2, 60_000)
  await until('topic peers', () => everyTabHasTopicPeers(1), 30_000)
  await new Promise((r) => setTimeout(r, 1500))
  for (const p of pages) await p.evaluate(() => wt.clear())
  await pages[TABS].evaluate(() => wt.publish('newcomer'))
  await until('every old tab to get the newcomer’s message', async () => {
    for (const p of pages.slice(0, TABS)) if (!(await p.evaluate(() => wt.received().some((r) => r.id === 'newcomer')))) return false
    return true
  })
  const r = await pages[1].evaluate(() => wt.received().find((x) => x.id === 'newcomer'))
  assert.equal(r?.peerId, newcomer)
})

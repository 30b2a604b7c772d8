import { ensureNetns } from './netns.ts'
ensureNetns()
const { launchChromium, TEST_HOST } = await import('../../test/support/browser.ts')
const { createRelay, topicFor } = await import('../../src/p2p/index.ts')
const { buildTestPage, serveDir } = await import('../../test/p2p/harness.ts')
const relay = await createRelay({ host: TEST_HOST, port: 0 }); await relay.start()
const server = await serveDir(await buildTestPage(), TEST_HOST)
const browser = await launchChromium({ webgpu: false })
const pages = []
for (let i = 0; i < 5; i++) {
  const p = await browser.newPage(); pages.push(p)
  p.on('console', (m) => { if (/fail|error/i.test(m.text())) console.log(`tab${i}:`, m.text().slice(0, 300)) })
  p.on('pageerror', (e) => console.log(`tab${i} pageerror`, e.message))
  await p.goto(server.url)
  await p.waitForFunction(() => (globalThis as any).wtReady === true)
  await p.evaluate((o) => (globalThis as any).wt.start(o), { bootstrap: relay.multiaddrs, secret: `//Tab${i}`, netuid: 5 })
}
for (let k = 0; k < 8; k++) {
  await new Promise((r) => setTimeout(r, 2000))
  for (const [i, p] of pages.entries()) {
    const s = await p.evaluate((t) => { const w = (globalThis as any).wt; return { stats: w.stats(), rtc: w.webrtcPeers().map((x: string) => x.slice(-6)), topic: w.topicPeers(t).map((x: string) => x.slice(-6)), conns: w.conns?.() } }, topicFor(5, 'query'))
    console.log(k, i, JSON.stringify(s))
  }
  console.log('relay', JSON.stringify({ ...relay.metrics(), multiaddrs: undefined }))
}
await browser.close(); await server.close(); await relay.stop()

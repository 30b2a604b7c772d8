import { ensureNetns } from './netns.ts'
ensureNetns()
const { launchChromium, TEST_HOST } = await import('../../test/support/browser.ts')
const { createRelay } = await import('../../src/p2p/index.ts')
const { buildTestPage, serveDir } = await import('../../test/p2p/harness.ts')
const { descendants, sampleCpu } = await import('./stats.ts')
const N = Number(process.argv[2] ?? 20)
const relay = await createRelay({ host: TEST_HOST, port: 0 }); await relay.start()
const server = await serveDir(await buildTestPage(), TEST_HOST)
const browser = await launchChromium({ webgpu: false })
const pages = []
for (let i = 0; i < N; i++) { const p = await browser.newPage(); await p.goto(server.url); await p.waitForFunction(() => (globalThis as any).wtReady); pages.push(p) }
await Promise.all(pages.map((p, i) => p.evaluate((o) => (globalThis as any).wt.start(o), { bootstrap: relay.multiaddrs, secret: `//D${i}`, netuid: 1 })))
for (let k = 0; k < 8; k++) {
  await new Promise((r) => setTimeout(r, 5000))
  const c = await Promise.all(pages.map((p) => p.evaluate(() => (globalThis as any).wt.counters())))
  console.log(k, 'opened', c.map((x: any) => x.opened).join(','), 'closed', c.map((x: any) => x.closed).join(','))
  console.log(k, 'byT', JSON.stringify(c.map((x: any) => x.openedByTransport)))
}
const s = await sampleCpu(() => descendants(process.pid).map((p) => p.pid), 10000)
console.log('mesh idle', s)
const perProc = descendants(process.pid)
const cdp = await pages[0].context().newCDPSession(pages[0])
await cdp.send('Profiler.enable'); await cdp.send('Profiler.start')
await new Promise((r) => setTimeout(r, 10000))
const { profile } = await cdp.send('Profiler.stop') as any
const self = new Map<string, number>()
const dt = profile.timeDeltas as number[]
const byId = new Map(profile.nodes.map((n: any) => [n.id, n]))
profile.samples.forEach((id: number, i: number) => { const n: any = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0)) })
const total = [...self.values()].reduce((a, b) => a + b, 0)
console.log('profile total ms', total / 1000)
for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / 1000).toFixed(0).padStart(6), k)
const st = await pages[0].evaluate(() => (globalThis as any).wt.stats())
console.log(JSON.stringify(st))
await browser.close(); await server.close(); await relay.stop(); process.exit()

// Browser mesh benchmark: N tabs of one Chromium join through a relay, form WebRTC links, then
// 200 × 1 KiB messages at 20 msg/s are published from random tabs. Prints figures; the last line
// is one JSON object.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { launchChromium, secureOrigin, TEST_HOST } from '../../test/support/browser.ts'
import { createRelay, topicFor } from '../../src/p2p/index.ts'
import { buildTestPage, serveDir } from '../../test/p2p/harness.ts'
import { descendants, percentile, sampleCpu } from './stats.ts'

interface PageApi {
  start(o: { bootstrap: string[]; secret: string; netuid: number; targetConnections?: number }): Promise<{ peerId: string }>
  publish(id: string, padTo?: number): Promise<void>
  received(): { id: string; sentAt: number; receivedAt: number }[]
  clear(): void
  stats(): { byTransport: Record<string, number> }
  webrtcPeers(): string[]
  topicPeers(topic: string): string[]
  meshPeers(topic: string): string[]
  connectedTo(peerId: string): boolean
}
declare const wt: PageApi

const NETUID = 1

export async function benchTabs(n: number, opts: { messages: number; rate: number; size: number; target?: number }): Promise<Record<string, unknown>> {
  const relay = await createRelay({ host: TEST_HOST, port: 0 })
  await relay.start()
  const server = await serveDir(await buildTestPage(), TEST_HOST)
  const browser = await launchChromium({ webgpu: false, extraArgs: secureOrigin(server.url) })
  const pages: Page[] = []
  for (let i = 0; i < n; i++) {
    const p = await browser.newPage()
    await p.goto(server.url)
    await p.waitForFunction(() => (globalThis as unknown as { wtReady?: boolean }).wtReady === true)
    pages.push(p)
  }
  const topic = topicFor(NETUID, 'query')
  const minLinks = Math.min(n - 1, 3)

  // Join: all tabs start at once; poll until each has the relay, a WebRTC link, and a mesh.
  const t0 = performance.now()
  const ids = await Promise.all(
    pages.map((p, i) => p.evaluate((o) => wt.start(o), { bootstrap: relay.multiaddrs, secret: `//BenchTab${i}`, netuid: NETUID, targetConnections: opts.target })),
  )
  const relayAt: number[] = []
  const rtcAt: number[] = []
  let meshAt = NaN
  while (performance.now() - t0 < 120_000) {
    const now = (performance.now() - t0) / 1000
    const states = await Promise.all(pages.map((p) => p.evaluate((a) => ({ relay: wt.connectedTo(a.relay), rtc: wt.webrtcPeers().length, topic: wt.topicPeers(a.topic).length }), { relay: relay.peerId, topic })))
    states.forEach((s, i) => {
      if (s.relay && relayAt[i] === undefined) relayAt[i] = now
      if (s.rtc > 0 && rtcAt[i] === undefined) rtcAt[i] = now
    })
    if (states.every((s) => s.rtc >= minLinks && s.topic >= minLinks)) {
      meshAt = now
      break
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  const med = (xs: number[]) => percentile([...xs].filter((x) => x !== undefined).sort((a, b) => a - b), 50)
  console.log(`join: relay ${med(relayAt).toFixed(1)} s, first WebRTC ${med(rtcAt).toFixed(1)} s (medians), mesh (every tab ≥ ${minLinks} links) ${meshAt.toFixed(1)} s`)
  await new Promise((r) => setTimeout(r, 3000)) // settle: heartbeats graft the topic mesh

  const chromiumPids = () => descendants(process.pid).map((p) => p.pid)
  // WEBTENSOR_BENCH_PROF=dir: CPU profiles of the first tab's idle and busy phases (open in DevTools).
  const profDir = process.env.WEBTENSOR_BENCH_PROF
  const cdp = profDir ? await pages[0].context().newCDPSession(pages[0]) : undefined
  if (cdp) {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.start')
  }
  const idle = await sampleCpu(chromiumPids, 10_000)
  if (cdp && profDir) {
    const { profile } = await cdp.send('Profiler.stop')
    writeFileSync(join(profDir, 'tab0-idle.cpuprofile'), JSON.stringify(profile))
  }
  console.log(`idle: ${(idle.cpuCores * 100).toFixed(0)}% of a core for ${n} tabs (${((idle.cpuCores * 100) / n).toFixed(1)}% per tab), RSS ${idle.rssMb.toFixed(0)} MB`)

  const meshSizes = await Promise.all(pages.map((p) => p.evaluate((t) => wt.meshPeers(t).length, topic)))
  console.log(`query-topic mesh degree: mean ${(meshSizes.reduce((a, b) => a + b, 0) / n).toFixed(1)}, min ${Math.min(...meshSizes)}`)
  const byTransport: Record<string, number> = {}
  for (const p of pages) for (const [k, v] of Object.entries(await p.evaluate(() => wt.stats().byTransport))) byTransport[k] = (byTransport[k] ?? 0) + v
  console.log(`connections by transport (sum over tabs): ${JSON.stringify(byTransport)}`)

  for (const p of pages) await p.evaluate(() => wt.clear())
  if (cdp) await cdp.send('Profiler.start')
  const busyCpu = sampleCpu(chromiumPids, (opts.messages / opts.rate) * 1000)
  const start = performance.now()
  const sends: Promise<void>[] = []
  for (let k = 0; k < opts.messages; k++) {
    const due = start + (k * 1000) / opts.rate
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const from = Math.floor(Math.random() * n)
    sends.push(pages[from].evaluate((a) => wt.publish(a.id, a.size), { id: `m${k}`, size: opts.size }))
  }
  await Promise.all(sends)
  const busy = await busyCpu
  if (cdp && profDir) {
    const { profile } = await cdp.send('Profiler.stop')
    writeFileSync(join(profDir, 'tab0-busy.cpuprofile'), JSON.stringify(profile))
  }
  const expected = opts.messages * (n - 1)
  const deadline = performance.now() + 20_000
  let got = 0
  while (performance.now() < deadline) {
    got = (await Promise.all(pages.map((p) => p.evaluate(() => wt.received().length)))).reduce((a, b) => a + b, 0)
    if (got >= expected) break
    await new Promise((r) => setTimeout(r, 250))
  }
  const latencies = (await Promise.all(pages.map((p) => p.evaluate(() => wt.received().map((r) => r.receivedAt - r.sentAt))))).flat().sort((a, b) => a - b)
  const delivery = latencies.length / expected
  console.log(`delivery ${(delivery * 100).toFixed(2)}% (${latencies.length}/${expected}); latency p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, max ${latencies.at(-1)} ms`)
  console.log(`busy: ${(busy.cpuCores * 100).toFixed(0)}% of a core for ${n} tabs`)
  void ids
  await browser.close()
  await server.close()
  await relay.stop()
  return {
    tabs: n,
    delivery: Number(delivery.toFixed(4)),
    p50_ms: percentile(latencies, 50),
    p95_ms: percentile(latencies, 95),
    join_s: Number(meshAt.toFixed(2)),
    join_relay_s: Number(med(relayAt).toFixed(2)),
    join_first_webrtc_s: Number(med(rtcAt).toFixed(2)),
    idle_cpu_per_tab: Number((idle.cpuCores / n).toFixed(4)),
    busy_cpu_per_tab: Number((busy.cpuCores / n).toFixed(4)),
    rss_mb: Math.round(idle.rssMb),
    rss_mb_per_tab: Math.round(idle.rssMb / n),
    by_transport: byTransport,
  }
}

/**
 * Following a subtensor chain (`npm run bench:chain-follow`, ~2 min; needs
 * ../shared/fixtures/subtensor/raonet.json or RAONET_SPEC): raonet under chopsticks building one
 * block every PERIOD_MS, the `SubtensorClient` following it through a TCP proxy. Measures how
 * far behind the head the client is while following (blocks, and ms from a block's build to the
 * client's metagraph at it), then, CUTS times, cuts the proxy for CUT_MS while blocks keep coming
 * and measures the time from the proxy's return to the client's reconnect and to its metagraph at
 * the head again. Baseline in the same run: one metagraph read (`refresh()` after a new head).
 * Prints figures; the last line is JSON.
 */
import { cpus, loadavg } from 'node:os'
import { connectSubtensor, type ConnectionEvent } from '../../src/chain/subtensor/index.ts'
import { setupValidatorSubnet, startChopsticks } from '../../test/support/chopsticks.ts'
import { startTcpProxy } from '../../test/support/tcp-proxy.ts'

const PERIOD_MS = 1500
const FOLLOW_MS = 30_000
const CUTS = 3
const CUT_MS = 6000
const RUNS = 5
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!
const ms = (x: number): number => Math.round(x * 10) / 10
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t))
const loadAtStart = loadavg()[0]!

const chain = await startChopsticks()
try {
  const { netuid, client: setupClient } = await setupValidatorSubnet(chain, 'BenchFollow', ['Miner1', 'Miner2', 'Miner3'])
  await setupClient.close()
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(chain.url).port) })
  const events: { at: number; e: ConnectionEvent }[] = []
  const client = await connectSubtensor({ url: proxy.url, netuid, retries: 0, reconnect: { attempts: 100, initialDelayMs: 250, maxDelayMs: 2000 } })
  client.onConnection((e) => events.push({ at: performance.now(), e }))

  // == Baseline: one metagraph read after a new head.
  const reads: number[] = []
  for (let i = 0; i < RUNS; i++) {
    await chain.newBlocks(1)
    const t = performance.now()
    await client.refresh()
    reads.push(performance.now() - t)
  }
  const readMs = median(reads)
  console.log(`baseline: one metagraph read after a new head (refresh()), median ${ms(readMs)} ms of ${RUNS} (${reads.map(ms).join(', ')})`)

  // == Blocks at a steady rate; the client follows by its head subscription alone.
  const built = new Map<number, number>()
  const seen = new Map<number, number>()
  client.onMetagraph((m) => {
    if (!seen.has(m.block)) seen.set(m.block, performance.now())
  })
  let head = await chain.head()
  let producing = true
  const producer = (async () => {
    while (producing) {
      const t = performance.now()
      head = await chain.newBlocks(1)
      built.set(head, performance.now())
      await sleep(Math.max(0, PERIOD_MS - (performance.now() - t)))
    }
  })()
  const lagBlocks: number[] = []
  const followEnd = performance.now() + FOLLOW_MS
  while (performance.now() < followEnd) {
    lagBlocks.push(head - (client.metagraph()?.block ?? 0))
    await sleep(100)
  }
  const followBlocks = built.size
  const latency = [...built].filter(([b]) => seen.has(b)).map(([b, t]) => seen.get(b)! - t)
  const skipped = [...built.keys()].filter((b) => !seen.has(b) && b <= (client.metagraph()?.block ?? 0)).length
  console.log(`following, a block every ${PERIOD_MS} ms for ${FOLLOW_MS / 1000} s: ${followBlocks} blocks built; behind the head mean ${ms(lagBlocks.reduce((a, b) => a + b, 0) / lagBlocks.length)} blocks, max ${Math.max(...lagBlocks)} (sampled every 100 ms); block built → client's metagraph at it median ${ms(median(latency))} ms, p95 ${ms(pct(latency, 0.95))} ms (${ms(median(latency) / readMs)}× one read); ${skipped} block(s) skipped over by coalesced reads`)

  // == Cuts: the proxy drops every connection and refuses new ones for CUT_MS.
  const cuts: { reconnectMs: number; catchUpMs: number; readMs: number; missed: number }[] = []
  for (let i = 0; i < CUTS; i++) {
    await sleep(2000)
    const from = client.metagraph()!.block
    await proxy.cut()
    await sleep(CUT_MS)
    const target = head
    const restored = performance.now()
    await proxy.restore()
    while (!client.connected()) await sleep(10)
    const connected = performance.now()
    while ((client.metagraph()?.block ?? 0) < target) await sleep(10)
    const caughtUp = performance.now()
    cuts.push({ reconnectMs: connected - restored, catchUpMs: caughtUp - restored, readMs: caughtUp - connected, missed: target - from })
    console.log(`cut ${i + 1}: ${target - from} block(s) built while away; proxy back → reconnected ${ms(connected - restored)} ms (the back-off's next attempt), → metagraph at the head ${ms(caughtUp - restored)} ms; reconnected → at the head ${ms(caughtUp - connected)} ms (${ms((caughtUp - connected) / readMs)}× one read)`)
  }
  producing = false
  await producer
  const attempts = events.filter((x) => x.e.state === 'reconnecting' && x.e.attempt > 0).length
  console.log(`reconnect attempts over ${CUTS} cuts of ${CUT_MS} ms: ${attempts} failed, back-off 250 ms doubling to 2 s`)
  await client.close()
  await proxy.close()
  console.log(JSON.stringify({
    periodMs: PERIOD_MS, followS: FOLLOW_MS / 1000, blocks: followBlocks, metagraphReadMs: ms(readMs),
    behindMeanBlocks: ms(lagBlocks.reduce((a, b) => a + b, 0) / lagBlocks.length), behindMaxBlocks: Math.max(...lagBlocks),
    blockToClientMedianMs: ms(median(latency)), blockToClientP95Ms: ms(pct(latency, 0.95)),
    cutMs: CUT_MS, reconnectMedianMs: ms(median(cuts.map((c) => c.reconnectMs))), catchUpMedianMs: ms(median(cuts.map((c) => c.catchUpMs))),
    reconnectedToHeadMedianMs: ms(median(cuts.map((c) => c.readMs))), reconnectedToHeadPerRead: ms(median(cuts.map((c) => c.readMs)) / readMs), missedBlocksMedian: median(cuts.map((c) => c.missed)), failedAttempts: attempts,
    cpus: cpus().length, cpu: cpus()[0]?.model, loadAtStart, loadAtEnd: loadavg()[0], date: new Date().toISOString(),
  }))
} finally {
  await chain.close()
}

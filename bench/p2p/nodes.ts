// Node-peer benchmark: M peers over 2 worker processes join through a relay (in this process);
// 200 × 1 KiB messages at 5 msg/s are published from random peers.
// WEBTENSOR_BENCH_PROF=dir: workers write CPU profiles of the idle and busy phases there.
import { fork, type ChildProcess } from 'node:child_process'
import { createRelay } from '../../src/p2p/index.ts'
import { descendants, percentile, sampleCpu } from './stats.ts'

type Reply = { type: string; [k: string]: unknown }

class Worker {
  private waiting: ((r: Reply) => void)[] = []
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: Reply) => {
      if (m.type === 'error') console.error('worker error:', m.message)
      else this.waiting.shift()?.(m)
    })
  }
  ask(cmd: object): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      this.proc.send(cmd)
    })
  }
  tell(cmd: object): void {
    this.proc.send(cmd)
  }
}

/** Sizes of the connected components of the gossip mesh (mesh links are used both ways), largest first. */
function meshComponents(edges: [string, string[]][]): number[] {
  const adj = new Map<string, Set<string>>()
  const link = (a: string, b: string) => {
    if (!adj.has(a)) adj.set(a, new Set())
    adj.get(a)!.add(b)
  }
  for (const [a, bs] of edges) {
    link(a, a)
    for (const b of bs) {
      link(a, b)
      link(b, a)
    }
  }
  const seen = new Set<string>()
  const sizes: number[] = []
  for (const start of adj.keys()) {
    if (seen.has(start)) continue
    let n = 0
    const stack = [start]
    seen.add(start)
    while (stack.length > 0) {
      const p = stack.pop()!
      n++
      for (const q of adj.get(p) ?? []) if (!seen.has(q)) (seen.add(q), stack.push(q))
    }
    sizes.push(n)
  }
  return sizes.sort((a, b) => b - a)
}

function sumChurn(reports: Reply[]): { opened: number; closed: number } {
  const c = { opened: 0, closed: 0 }
  for (const r of reports) {
    const rc = r.churn as { opened: number; closed: number }
    c.opened += rc.opened
    c.closed += rc.closed
  }
  return c
}

export async function benchNodes(m: number, opts: { messages: number; rate: number; size: number; host: string; target?: number; processes?: number }): Promise<Record<string, unknown>> {
  const relay = await createRelay({ host: opts.host, port: 0, maxReservations: 16 })
  await relay.start()
  const nproc = opts.processes ?? 2
  const workers = await Promise.all(
    Array.from({ length: nproc }, async () => {
      const proc = fork(new URL('./node-worker.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] })
      const w = new Worker(proc)
      await new Promise<void>((r) => proc.once('message', () => r())) // 'ready'
      return w
    }),
  )
  const shares = workers.map((_, i) => Math.floor(m / nproc) + (i < m % nproc ? 1 : 0))
  const target = opts.target ?? 8
  const t0 = performance.now()
  let offset = 0
  await Promise.all(
    workers.map((w, i) => {
      const o = offset
      offset += shares[i]
      return w.ask({ type: 'start', bootstrap: relay.multiaddrs, count: shares[i], offset: o, host: opts.host, target })
    }),
  )
  const started = (performance.now() - t0) / 1000
  const minLinks = Math.min(m - 1, 4)
  let joinAt = NaN
  let byTransport: Record<string, number> = {}
  while (performance.now() - t0 < 300_000) {
    const states = await Promise.all(workers.map((w) => w.ask({ type: 'state' })))
    if (states.every((s) => (s.minTopicPeers as number) >= minLinks)) {
      joinAt = (performance.now() - t0) / 1000
      console.log(`average query-topic mesh degree: ${states.map((s) => (s.avgMesh as number).toFixed(1)).join(', ')}`)
      byTransport = {}
      for (const s of states) for (const [k, v] of Object.entries(s.byTransport as Record<string, number>)) byTransport[k] = (byTransport[k] ?? 0) + v
      break
    }
    if (process.env.WEBTENSOR_BENCH_DEBUG) console.log(JSON.stringify(states.map((s) => s.worst)))
    await new Promise((r) => setTimeout(r, 500))
  }
  console.log(`join: ${m} peers started in ${started.toFixed(1)} s; every peer with ≥ ${minLinks} topic peers after ${joinAt.toFixed(1)} s`)
  console.log(`connections by transport (sum over peers): ${JSON.stringify(byTransport)}`)
  await new Promise((r) => setTimeout(r, 3000))
  await Promise.all(workers.map((w) => w.ask({ type: 'clear' })))
  const pids = () => [process.pid, ...descendants(process.pid).map((p) => p.pid)]
  const profiling = process.env.WEBTENSOR_BENCH_PROF ? Promise.all(workers.map((w) => w.ask({ type: 'profile', phase: 'idle', ms: 10_000 }))) : undefined
  const idle = await sampleCpu(pids, 10_000)
  await profiling
  const idleChurn = sumChurn(await Promise.all(workers.map((w) => w.ask({ type: 'report' }))))
  console.log(`idle: ${(idle.cpuCores * 100).toFixed(0)}% of a core for ${m} peers + relay; RSS ${idle.rssMb.toFixed(0)} MB; connections opened/closed in 10 s: ${idleChurn.opened}/${idleChurn.closed}`)

  await Promise.all(workers.map((w) => w.ask({ type: 'clear' })))
  const busyMs = (opts.messages / opts.rate) * 1000
  const busyProfile = process.env.WEBTENSOR_BENCH_PROF ? Promise.all(workers.map((w) => w.ask({ type: 'profile', phase: 'busy', ms: busyMs }))) : undefined
  const busyCpu = sampleCpu(pids, busyMs)
  const start = performance.now()
  for (let k = 0; k < opts.messages; k++) {
    const due = start + (k * 1000) / opts.rate
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const wi = Math.floor(Math.random() * nproc)
    workers[wi].tell({ type: 'publish', peer: Math.floor(Math.random() * shares[wi]), id: `m${k}`, size: opts.size })
  }
  const busy = await busyCpu
  await busyProfile
  const expected = opts.messages * (m - 1)
  // Reports until everything is delivered (or the deadline passes); the summaries read the last.
  let reports: Reply[] = []
  let latencies: number[] = []
  const deadline = performance.now() + 30_000
  while (true) {
    reports = await Promise.all(workers.map((w) => w.ask({ type: 'report' })))
    latencies = reports.flatMap((r) => r.latencies as number[])
    if (latencies.length >= expected || performance.now() > deadline) break
    await new Promise((r) => setTimeout(r, 1000))
  }
  const rssMb = reports.reduce((a, r) => a + (r.rssMb as number), 0)
  const rejected: Record<string, number> = {}
  for (const r of reports) for (const [k, v] of Object.entries(r.rejected as Record<string, number>)) rejected[k] = (rejected[k] ?? 0) + v
  const busyChurn = sumChurn(reports)
  const busyTraffic: Record<string, number> = {}
  for (const r of reports) for (const [k, v] of Object.entries(r.traffic as Record<string, number>)) busyTraffic[k] = (busyTraffic[k] ?? 0) + v
  latencies.sort((a, b) => a - b)
  const components = meshComponents(reports.flatMap((r) => r.meshEdges as [string, string[]][]))
  console.log(`query-topic mesh after the run: ${components.length} component(s) of ${components.join(', ')} peers`)
  if (process.env.WEBTENSOR_BENCH_DEBUG) {
    // Slow messages over time: message index (publish order, 1/rate s apart) → its p95 and max.
    const all: Record<string, number[]> = {}
    for (const r of reports) for (const [id, ls] of Object.entries(r.byMessage as Record<string, number[]>)) (all[id] ??= []).push(...ls)
    const rows = Object.entries(all).map(([id, ls]) => [Number(id.slice(1)), ...[95, 100].map((q) => percentile(ls.sort((a, b) => a - b), q))])
    console.log(JSON.stringify(rows.sort((a, b) => a[0] - b[0]).map((r) => r.join(':'))))
  }
  const medians = reports.flatMap((r) => r.medians as number[]).sort((a, b) => a - b)
  console.log(`latency p90 ${percentile(latencies, 90)} ms, p99 ${percentile(latencies, 99)} ms; per-peer median latency: p50 ${percentile(medians, 50)} ms, max ${medians.at(-1)} ms; peers with median > 1 s: ${medians.filter((m) => m > 1000).length}`)
  const delivery = latencies.length / expected
  console.log(`delivery ${(delivery * 100).toFixed(2)}% (${latencies.length}/${expected}); latency p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, max ${latencies.at(-1)} ms`)
  console.log(`busy: ${(busy.cpuCores * 100).toFixed(0)}% of a core; worker RSS ${rssMb.toFixed(0)} MB; rejected ${JSON.stringify(rejected)}; connections opened/closed: ${busyChurn.opened}/${busyChurn.closed}`)
  const perDelivery = (n: number) => (n / Math.max(1, latencies.length)).toFixed(2)
  console.log(`gossip per delivered message: ${perDelivery(busyTraffic.messages ?? 0)} copies received, ${perDelivery(busyTraffic.ihaveIds ?? 0)} IHAVE ids, ${perDelivery(busyTraffic.iwantIds ?? 0)} IWANT ids, ${perDelivery(busyTraffic.rpcs ?? 0)} RPCs; grafts ${busyTraffic.grafts ?? 0}, prunes ${busyTraffic.prunes ?? 0}`)
  await Promise.all(workers.map((w) => w.ask({ type: 'stop' })))
  await relay.stop()
  return {
    node_peers: m,
    processes: nproc,
    delivery: Number(delivery.toFixed(4)),
    p50_ms: percentile(latencies, 50),
    p95_ms: percentile(latencies, 95),
    join_s: Number(joinAt.toFixed(2)),
    idle_cpu_per_tab: null,
    idle_cpu_per_peer: Number((idle.cpuCores / m).toFixed(4)),
    busy_cpu: Number(busy.cpuCores.toFixed(3)),
    rss_mb: Math.round(rssMb),
    by_transport: byTransport,
  }
}

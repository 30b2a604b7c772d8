// One process of the Node-peer benchmark: hosts a share of the peers, driven over IPC by nodes.ts.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import { createMesh, GOSSIP_KINDS, topicFor, type Mesh } from '../../src/p2p/index.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import { countTraffic, emptyTraffic, resetTraffic } from '../../test/p2p/gossip-traffic.ts'

type Cmd =
  | { type: 'start'; bootstrap: string[]; count: number; offset: number; host: string; target: number }
  | { type: 'state' }
  | { type: 'publish'; peer: number; id: string; size: number }
  | { type: 'clear' }
  | { type: 'report' }
  | { type: 'stop' }
  | { type: 'profile'; phase: string; ms: number }

const NETUID = 1
const meshes: Mesh[] = []
let latencies: number[] = []
/** Latencies of each message (by id) over this process's receivers. */
let byMessage: Record<string, number[]> = {}
/** Latencies seen by each peer of this process (same order as `meshes`). */
const perPeer: number[][] = []
/** Connection churn since the last 'clear' (opened, closed), summed over this process's peers. */
const churn = { opened: 0, closed: 0 }
/** Gossipsub traffic since the last 'clear', summed over this process's peers: where the work goes. */
const traffic = emptyTraffic()

const send = (m: unknown) => process.send!(m)

process.on('message', async (cmd: Cmd) => {
  try {
    if (cmd.type === 'start') {
      const signers = await Promise.all(Array.from({ length: cmd.count }, (_, i) => hotkeyFromSecret(`//BenchNode${cmd.offset + i}`)))
      await Promise.all(
        signers.map(async (signer) => {
          const mesh = await createMesh({ netuid: NETUID, signer, bootstrap: cmd.bootstrap, listen: [`/ip4/${cmd.host}/tcp/0`], targetConnections: cmd.target, gossipKinds: [...GOSSIP_KINDS, 'query'] })
          const mine: number[] = []
          perPeer.push(mine)
          mesh.subscribe('query', (e) => {
            const ms = Date.now() - Number(String(e.payload.input.prompt).split(' ')[0])
            latencies.push(ms)
            mine.push(ms)
            ;(byMessage[e.payload.id] ??= []).push(ms)
          })
          meshes.push(mesh)
          countTraffic(mesh, traffic)
          mesh.libp2p.addEventListener('connection:open', () => churn.opened++)
          mesh.libp2p.addEventListener('connection:close', () => churn.closed++)
          await mesh.start()
        }),
      )
      send({ type: 'started' })
    } else if (cmd.type === 'state') {
      const topic = topicFor(NETUID, 'query')
      const counts = meshes.map((m) => (m.libp2p.services as { pubsub: GossipSub }).pubsub.getSubscribers(topic).length)
      const byTransport: Record<string, number> = {}
      for (const m of meshes) for (const [k, v] of Object.entries(m.stats().byTransport)) byTransport[k] = (byTransport[k] ?? 0) + v
      const worst = counts.indexOf(Math.min(...counts))
      const w = meshes[worst]
      const detail = w ? { topicPeers: counts[worst], stats: w.stats(), conns: w.libp2p.getConnections().length, candidates: (w as unknown as { dialer: { planner: { candidates: Map<string, unknown> } } }).dialer.planner.candidates.size } : undefined
      const meshSizes = meshes.map((m) => (m.libp2p.services as unknown as { pubsub: { getMeshPeers(t: string): string[] } }).pubsub.getMeshPeers(topic).length)
      const avgMesh = meshSizes.reduce((a, b) => a + b, 0) / Math.max(1, meshSizes.length)
      send({ type: 'state', minTopicPeers: Math.min(...counts), byTransport, worst: detail, avgMesh })
    } else if (cmd.type === 'publish') {
      await meshes[cmd.peer].publish('query', { id: cmd.id, miner: 'any', task: 'bench', input: { prompt: `${Date.now()} `.padEnd(cmd.size, 'x') } })
    } else if (cmd.type === 'clear') {
      latencies = []
      for (const l of perPeer) l.length = 0
      byMessage = {}
      churn.opened = churn.closed = 0
      resetTraffic(traffic)
      send({ type: 'cleared' })
    } else if (cmd.type === 'report') {
      const rejected: Record<string, number> = {}
      for (const m of meshes) for (const [k, v] of Object.entries(m.stats().rejected)) rejected[k] = (rejected[k] ?? 0) + v
      const topic = topicFor(NETUID, 'query')
      const meshEdges = meshes.map((m) => [m.peerId, (m.libp2p.services as unknown as { pubsub: { getMeshPeers(t: string): string[] } }).pubsub.getMeshPeers(topic)])
      const medians = perPeer.map((l) => [...l].sort((a, b) => a - b)[Math.floor(l.length / 2)] ?? 0)
      send({ type: 'report', meshEdges, medians, byMessage, latencies, rssMb: process.memoryUsage().rss / 2 ** 20, rejected, churn: { ...churn }, traffic: { ...traffic } })
    } else if (cmd.type === 'profile') {
      // CPU profile of one phase (WEBTENSOR_BENCH_PROF=dir); open the file in Chrome DevTools.
      const session = new Session()
      session.connect()
      await session.post('Profiler.enable')
      await session.post('Profiler.start')
      await new Promise((r) => setTimeout(r, cmd.ms))
      const { profile } = await session.post('Profiler.stop')
      writeFileSync(join(process.env.WEBTENSOR_BENCH_PROF ?? '.', `${cmd.phase}-${process.pid}.cpuprofile`), JSON.stringify(profile))
      session.disconnect()
      send({ type: 'profiled' })
    } else if (cmd.type === 'stop') {
      await Promise.all(meshes.map((m) => m.stop()))
      send({ type: 'stopped' })
      process.exit(0)
    }
  } catch (err) {
    send({ type: 'error', message: String(err) })
  }
})
send({ type: 'ready' })

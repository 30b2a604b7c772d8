// A browser mesh node driven by the Playwright tests and the p2p benchmark through `window.wt`.
import { createMesh, GOSSIP_KINDS, sr25519VerifierName, type Envelope, type Mesh, type MeshStats } from '../../../src/p2p/index.ts'
import { hotkeyFromSecret } from '../../../src/identity/identity.ts'
import { countTraffic, emptyTraffic, resetTraffic } from '../gossip-traffic.ts'

interface Received {
  id: string
  hotkey: string
  peerId: string
  sentAt: number
  receivedAt: number
}

let mesh: Mesh | undefined
/** Gossipsub traffic received (the benchmark's view): RPCs, message copies, IHAVE/IWANT ids. */
const traffic = emptyTraffic()
const received: Received[] = []
const t0 = performance.now()
const joinMarks: Record<string, number> = {}

const api = {
  async start(opts: { bootstrap: string[]; secret: string; netuid: number; targetConnections?: number }): Promise<{ peerId: string; hotkey: string }> {
    const signer = await hotkeyFromSecret(opts.secret)
    mesh = await createMesh({ netuid: opts.netuid, signer, bootstrap: opts.bootstrap, targetConnections: opts.targetConnections, allowPrivateAddresses: true, gossipKinds: [...GOSSIP_KINDS, 'query'] })
    mesh.subscribe('query', (e: Envelope<'query'>) => {
      // The prompt carries the sender's wall-clock send time (same machine, same clock).
      const sentAt = Number(String(e.payload.input.prompt).split(' ')[0])
      received.push({ id: e.payload.id, hotkey: e.hotkey, peerId: e.peerId, sentAt, receivedAt: Date.now() })
    })
    mesh.onStats((s: MeshStats) => {
      const ms = performance.now() - t0
      if (s.byTransport['websockets'] && joinMarks.relay === undefined) joinMarks.relay = ms
      if (s.byTransport['webrtc'] && joinMarks.firstWebrtc === undefined) joinMarks.firstWebrtc = ms
    })
    const counters = { opened: 0, closed: 0, openedByTransport: {} as Record<string, number>, closedByTransport: {} as Record<string, number> }
    const kindOf = (addr: string) => (addr.includes('/webrtc') ? 'webrtc' : addr.includes('p2p-circuit') ? 'relayed' : 'other')
    ;(globalThis as unknown as { wtCounters: typeof counters }).wtCounters = counters
    mesh.libp2p.addEventListener('connection:open', (e) => {
      counters.opened++
      const t = kindOf(e.detail.remoteAddr.toString())
      counters.openedByTransport[t] = (counters.openedByTransport[t] ?? 0) + 1
    })
    mesh.libp2p.addEventListener('connection:close', (e) => {
      counters.closed++
      const t = kindOf(e.detail.remoteAddr.toString())
      counters.closedByTransport[t] = (counters.closedByTransport[t] ?? 0) + 1
    })
    countTraffic(mesh, traffic)
    await mesh.start()
    return { peerId: mesh.peerId, hotkey: signer.address }
  },
  async publish(id: string, padTo = 0): Promise<void> {
    const head = `${Date.now()} `
    await mesh!.publish('query', { id, miner: 'any', task: 'bench', input: { prompt: head.padEnd(padTo, 'x') } })
  },
  /**
   * Publishes `ids` at the given wall-clock times (ms since the epoch) from this tab, so a
   * benchmark's traffic does not ride on one DevTools round-trip per message. Resolves once the
   * last is published; a failed publish rejects it.
   */
  schedule(plan: { id: string; at: number }[], padTo = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      let left = plan.length
      if (left === 0) resolve()
      for (const { id, at } of plan) {
        setTimeout(() => {
          api.publish(id, padTo).then(() => {
            if (--left === 0) resolve()
          }, reject)
        }, Math.max(0, at - Date.now()))
      }
    })
  },
  received: () => received,
  clear: () => {
    received.splice(0)
    resetTraffic(traffic)
  },
  traffic: () => traffic,
  /** Which sr25519 verifier inbound envelopes go through here. */
  verifier: () => sr25519VerifierName(),
  stats: () => mesh!.stats(),
  counters: () => (globalThis as unknown as { wtCounters: unknown }).wtCounters,
  joinMarks: () => joinMarks,
  /** Peers we hold an open direct WebRTC connection to. */
  webrtcPeers: () =>
    mesh!.libp2p
      .getConnections()
      .filter((c) => c.status === 'open' && c.remoteAddr.toString().includes('/webrtc'))
      .map((c) => c.remotePeer.toString()),
  connectedTo: (peerId: string) => mesh!.libp2p.getConnections().some((c) => c.status === 'open' && c.remotePeer.toString() === peerId),
  /** Peers in our gossipsub view of the query topic. */
  topicPeers: (topic: string) => (mesh!.libp2p.services as { pubsub: { getSubscribers(t: string): { toString(): string }[] } }).pubsub.getSubscribers(topic).map(String),
  /** Peers in our gossipsub mesh for a topic (those we forward every message to). */
  meshPeers: (topic: string) => (mesh!.libp2p.services as { pubsub: { getMeshPeers(t: string): string[] } }).pubsub.getMeshPeers(topic).map(String),
  async stop(): Promise<void> {
    await mesh?.stop()
  },
}

;(globalThis as unknown as { wt: typeof api }).wt = api
;(globalThis as unknown as { wtReady: boolean }).wtReady = true

// What each inbound gossipsub RPC carries, counted for the p2p benchmark (Node workers and test
// pages alike): where the work of a delivered message goes. The mesh itself is untouched.
import type { Mesh } from '../../src/p2p/index.ts'

export interface GossipTraffic {
  rpcs: number
  messages: number
  ihaveIds: number
  iwantIds: number
  idontwantIds: number
  grafts: number
  prunes: number
}

interface Rpc {
  messages?: unknown[]
  control?: { ihave?: { messageIDs?: unknown[] }[]; iwant?: { messageIDs?: unknown[] }[]; idontwant?: { messageIDs?: unknown[] }[]; graft?: unknown[]; prune?: unknown[] }
}

export function emptyTraffic(): GossipTraffic {
  return { rpcs: 0, messages: 0, ihaveIds: 0, iwantIds: 0, idontwantIds: 0, grafts: 0, prunes: 0 }
}

/** Sets every count of `traffic` back to 0. */
export function resetTraffic(traffic: GossipTraffic): void {
  Object.assign(traffic, emptyTraffic())
}

const countIds = (xs?: { messageIDs?: unknown[] }[]) => (xs ?? []).reduce((a, x) => a + (x.messageIDs?.length ?? 0), 0)

/** Adds what every RPC `mesh` receives from now on to `traffic`. */
export function countTraffic(mesh: Mesh, traffic: GossipTraffic): void {
  const pubsub = mesh.libp2p.services.pubsub as unknown as { handleReceivedRpc: (from: unknown, rpc: Rpc) => Promise<void> }
  const original = pubsub.handleReceivedRpc.bind(pubsub)
  pubsub.handleReceivedRpc = (from, rpc) => {
    traffic.rpcs++
    traffic.messages += rpc.messages?.length ?? 0
    traffic.ihaveIds += countIds(rpc.control?.ihave)
    traffic.iwantIds += countIds(rpc.control?.iwant)
    traffic.idontwantIds += countIds(rpc.control?.idontwant)
    traffic.grafts += rpc.control?.graft?.length ?? 0
    traffic.prunes += rpc.control?.prune?.length ?? 0
    return original(from, rpc)
  }
}

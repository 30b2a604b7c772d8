import type { Envelope, Mesh } from '../p2p/index.ts'
import type { ChainClient, EpochResult, Metagraph } from './types.ts'

/**
 * The embedded default subnet's chain, seen from a miner or validator: the owner node publishes
 * the metagraph and each epoch's result over gossip, and weights go back the same way. Only
 * messages signed by the subnet owner's hotkey (from the manifest) count as chain state.
 */
export function createGossipChainClient(options: { mesh: Mesh; netuid: number; ownerHotkey: string }): ChainClient {
  const { mesh, netuid, ownerHotkey } = options
  let metagraph: Metagraph | null = null
  let epoch: EpochResult | null = null
  let uids = new Map<string, number>()
  const metagraphHandlers = new Set<(m: Metagraph) => void>()
  const epochHandlers = new Set<(e: EpochResult) => void>()

  mesh.subscribe('metagraph', (msg: Envelope<'metagraph'>) => {
    if (msg.hotkey !== ownerHotkey || msg.netuid !== netuid) return
    if (metagraph !== null && msg.payload.block < metagraph.block) return
    metagraph = { netuid, ...msg.payload }
    uids = new Map(metagraph.neurons.map((n) => [n.hotkey, n.uid]))
    for (const h of metagraphHandlers) h(metagraph)
  })
  mesh.subscribe('epoch', (msg: Envelope<'epoch'>) => {
    if (msg.hotkey !== ownerHotkey || msg.netuid !== netuid) return
    if (epoch !== null && msg.payload.epoch <= epoch.epoch) return
    epoch = { netuid, ...msg.payload }
    for (const h of epochHandlers) h(epoch)
  })

  return {
    metagraph: () => metagraph,
    latestEpoch: () => epoch,
    uidOf: (hotkey) => uids.get(hotkey),
    onMetagraph(handler) {
      metagraphHandlers.add(handler)
      return () => metagraphHandlers.delete(handler)
    },
    onEpoch(handler) {
      epochHandlers.add(handler)
      return () => epochHandlers.delete(handler)
    },
    async setWeights(uidList, weights) {
      await mesh.publish('weights', { epoch: metagraph?.epoch ?? 0, uids: uidList, weights })
    },
  }
}

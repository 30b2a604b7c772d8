import { createGossipChainClient } from '../chain/gossip-client.ts'
import type { ChainClient } from '../chain/index.ts'
import type { Signer } from '../identity/index.ts'
import { createMesh, type IceServer, type Mesh } from '../p2p/index.ts'
import { permitsOf, subnetAuthorize, type PermitView, type SubnetManifest } from '../subnet/index.ts'

/**
 * A started mesh on the manifest's subnet with the subnet's roles checked at its door (chain
 * state only from the owner, weights only from permitted validators, as of the latest
 * metagraph), and the chain client that follows the owner over it.
 * @example const { mesh, chain } = await joinSubnet({ manifest, signer: hotkey, bootstrap })
 */
export async function joinSubnet(opts: {
  manifest: SubnetManifest
  signer: Signer
  bootstrap: string[]
  /** Node: listen addresses (browsers listen through the relay and WebRTC). */
  listen?: string[]
  iceServers?: IceServer[]
  targetConnections?: number
  /** Peers not to link with (see `MeshOptions.denyPeer`). */
  denyPeer?: (peerId: string) => boolean
  /** The chain to follow instead of the owner's gossip (e.g. a subtensor client); permits come from it too. */
  chain?: ChainClient
  log?: (line: string) => void
}): Promise<{ mesh: Mesh; chain: ChainClient }> {
  const { manifest } = opts
  let permits: PermitView | undefined
  const mesh = await createMesh({
    netuid: manifest.netuid,
    signer: opts.signer,
    bootstrap: opts.bootstrap,
    ...(opts.listen === undefined ? {} : { listen: opts.listen }),
    ...(opts.iceServers === undefined ? {} : { iceServers: opts.iceServers }),
    ...(opts.targetConnections === undefined ? {} : { targetConnections: opts.targetConnections }),
    ...(opts.denyPeer === undefined ? {} : { denyPeer: opts.denyPeer }),
    authorize: subnetAuthorize(manifest.owner.hotkey, () => permits),
  })
  await mesh.start()
  const chain = opts.chain ?? createGossipChainClient({
    mesh,
    netuid: manifest.netuid,
    ownerHotkey: manifest.owner.hotkey,
    versionKey: BigInt(manifest.chain.weights.versionKey),
    ...(manifest.hyperparams.commit_reveal === true
      ? { commitReveal: { revealPeriodEpochs: manifest.chain.weights.revealPeriodEpochs, netuid: manifest.netuid, tempo: manifest.chain.tempo, hotkeyPublicKey: opts.signer.publicKey } }
      : {}),
    ...(opts.log === undefined ? {} : { log: opts.log }),
  })
  chain.onMetagraph((m) => (permits = permitsOf(m)))
  return { mesh, chain }
}

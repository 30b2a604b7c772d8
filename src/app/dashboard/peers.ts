/** Feeds the peer graph from a live mesh: its open connections, read every `intervalMs` and on each connection change. */
import type { Mesh } from '../../p2p/index.ts'
import { linkOf, type PeerLink } from './shape.ts'
import type { DashboardView } from './view.ts'

/** The mesh's open links as the graph takes them. */
export function meshLinks(mesh: Mesh): PeerLink[] {
  return mesh.libp2p.getConnections().filter((c) => c.status === 'open').map((c) => linkOf(c.remotePeer.toString(), c.remoteAddr.toString()))
}

/** Shows `mesh` in the view's peer graph until the returned function is called. */
export function followPeers(view: DashboardView, mesh: Mesh, intervalMs = 2000): () => void {
  const show = (): void => view.setPeers(mesh.peerId, meshLinks(mesh))
  show()
  const off = mesh.onStats(show)
  const timer = setInterval(show, intervalMs)
  return () => {
    off()
    clearInterval(timer)
  }
}

/**
 * Peers finding each other through a subtensor chain: a miner publishes its peer id and direct
 * multiaddrs in the Commitments pallet; a validator reads the subnet's commitments and dials the
 * miners it has no link to. The relay stays the way in for browsers (they cannot be dialled).
 */
import { ChainError } from '../chain/index.ts'
import { SubtensorError, type SubtensorClient } from '../chain/subtensor/index.ts'
import { allowedDialAddrs, dialableAddrs, isPrivateAddr, transportOf } from '../p2p/addrs.ts'
import type { Mesh } from '../p2p/index.ts'

export type Log = (line: string) => void

/** The addresses a Node node publishes: direct (no relayed ones), dialable by Node peers, and public unless the relay is private. */
export function publishableAddrs(multiaddrs: readonly string[], bootstrap: readonly string[]): string[] {
  const direct = dialableAddrs('node', multiaddrs.filter((a) => transportOf(a) !== 'circuit-relay'))
  return allowedDialAddrs('node', direct, bootstrap.some(isPrivateAddr))
}

/**
 * Publishes `mesh`'s addresses for `client`'s hotkey once it holds a uid, again when they change,
 * and retries a refusal (the pallet's rate limit) after `retryMs`. Returns a stop function.
 */
export function publishPeerOnChain(opts: { client: SubtensorClient; mesh: Mesh; hotkey: string; bootstrap: string[]; log: Log; retryMs?: number; checkMs?: number }): () => void {
  const { client, mesh, hotkey, log } = opts
  let stopped = false
  let busy = false
  let last = ''
  let retryAt = 0
  let saidNone = false
  const tryPublish = async (): Promise<void> => {
    if (stopped || busy || client.uidOf(hotkey) === undefined || Date.now() < retryAt) return
    const addrs = publishableAddrs(mesh.multiaddrs, opts.bootstrap)
    const key = addrs.join(' ')
    if (addrs.length === 0) {
      if (!saidNone) log(`chain peers: no direct address a validator may dial (of ${mesh.multiaddrs.length}: relayed or private under a public relay); nothing published, validators find this miner through the relay`)
      saidNone = true
      return
    }
    if (key === last) return
    busy = true
    try {
      const r = await client.publishPeer(mesh.peerId, addrs)
      last = key
      log(r.changed ? `chain peers: published ${mesh.peerId} at ${addrs.join(' ')} in block ${r.blockNumber} (${r.bytes} bytes)` : `chain peers: ${mesh.peerId} at ${addrs.join(' ')} is on chain already (block ${r.blockNumber})`)
    } catch (err) {
      if (err instanceof SubtensorError && err.code === 'missing_call') {
        last = key // nothing to retry on this runtime
        log(`chain peers: ${err.message}; validators find this miner through the relay only`)
      } else {
        retryAt = Date.now() + (opts.retryMs ?? 60_000)
        log(`chain peers: publishing the address failed (${err instanceof ChainError || err instanceof SubtensorError ? err.code : 'error'}): ${(err as Error).message}; retrying later`)
      }
    } finally {
      busy = false
    }
  }
  const off = client.onMetagraph(() => void tryPublish())
  const timer = setInterval(() => void tryPublish(), opts.checkMs ?? 30_000)
  timer.unref?.()
  void tryPublish()
  return () => {
    stopped = true
    off()
    clearInterval(timer)
  }
}

/**
 * Reads the subnet's published peers every `intervalMs` and dials each registered hotkey's peer
 * it has no link to (through `Mesh.connectAddr`, which applies the dial policy). Refused
 * commitments and failed dials are logged once per hotkey and reason. Returns a stop function.
 */
export function dialChainPeers(opts: { client: SubtensorClient; mesh: Mesh; hotkey: string; log: Log; intervalMs?: number }): { stop(): void; scan(): Promise<void> } {
  const { client, mesh, log } = opts
  const said = new Map<string, string>()
  const once = (hotkey: string, line: string): void => {
    if (said.get(hotkey) === line) return
    said.set(hotkey, line)
    log(line)
  }
  let stopped = false
  let scanning: Promise<void> | null = null
  const scanOnce = async (): Promise<void> => {
    let listing
    try {
      listing = await client.peers()
    } catch (err) {
      if (err instanceof SubtensorError && err.code === 'missing_storage') return
      once('', `chain peers: reading published addresses failed: ${(err as Error).message}`)
      return
    }
    for (const r of listing.refused) once(r.hotkey, `chain peers: ignored the commitment of ${r.hotkey} (${r.error}: ${r.detail})`)
    const linked = new Set(mesh.libp2p.getConnections().filter((c) => transportOf(c.remoteAddr.toString()) !== 'circuit-relay').map((c) => c.remotePeer.toString()))
    for (const [hotkey, peer] of listing.peers) {
      if (stopped) return
      if (hotkey === opts.hotkey || peer.peerId === mesh.peerId || linked.has(peer.peerId)) continue
      const reasons: string[] = []
      let ok = false
      for (const addr of peer.addrs) {
        try {
          await mesh.connectAddr(addr)
          ok = true
          break
        } catch (err) {
          reasons.push(`${addr}: ${(err as Error).message}`)
        }
      }
      if (ok) {
        said.delete(hotkey)
        log(`chain peers: linked to ${hotkey}'s node ${peer.peerId} (published in block ${peer.block})`)
      } else once(hotkey, `chain peers: no link to ${hotkey}'s published node: ${reasons.join('; ')}`)
    }
  }
  const scan = (): Promise<void> => {
    scanning ??= scanOnce().finally(() => (scanning = null))
    return scanning
  }
  const timer = setInterval(() => void scan(), opts.intervalMs ?? 15_000)
  timer.unref?.()
  void scan()
  return {
    scan,
    stop() {
      stopped = true
      clearInterval(timer)
    },
  }
}

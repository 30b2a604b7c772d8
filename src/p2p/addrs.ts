/**
 * Multiaddr string helpers: which transport an address uses, which addresses a runtime can dial,
 * who dials whom. Pure (strings only), shared by the mesh, the dialer and the relay.
 */

export type Transport = 'webrtc' | 'circuit-relay' | 'websockets' | 'tcp' | 'other'
export type Runtime = 'browser' | 'node'

/** Transport of a connection's remote address or of a listen address. */
export function transportOf(addr: string): Transport {
  if (addr.includes('/webrtc')) return 'webrtc'
  if (addr.includes('/p2p-circuit')) return 'circuit-relay'
  if (/\/(ws|wss|tls\/ws)(\/|$)/.test(addr)) return 'websockets'
  if (addr.includes('/tcp/')) return 'tcp'
  return 'other'
}

/** Appends `/p2p/<peerId>` unless the address already ends with it (circuit addresses from the peer store lack it). */
export function withPeerId(addr: string, peerId: string): string {
  return addr.endsWith(`/p2p/${peerId}`) ? addr : `${addr}/p2p/${peerId}`
}

/** The peer id an address ends with, if any. */
export function peerIdOf(addr: string): string | undefined {
  const m = /\/p2p\/([^/]+)$/.exec(addr)
  return m?.[1]
}

/** A peer that listens on TCP or WebSockets directly (a Node peer or a relay); browsers only have relayed/WebRTC addresses. */
export function isServerLike(addrs: readonly string[]): boolean {
  return addrs.some((a) => {
    const t = transportOf(a)
    return t === 'tcp' || t === 'websockets'
  })
}

/**
 * Addresses of a peer that `runtime` can dial, best first. Browsers: WebRTC (via relay signalling)
 * or WebSockets; Node: TCP, then WebSockets. Relayed-only addresses are never returned: app traffic
 * must not ride the relay.
 */
export function dialableAddrs(runtime: Runtime, addrs: readonly string[]): string[] {
  const by = (t: Transport) => addrs.filter((a) => transportOf(a) === t)
  return runtime === 'browser' ? [...by('websockets'), ...by('webrtc')] : [...by('tcp'), ...by('websockets')]
}

/**
 * Whether we should dial `other` (the other side waits): exactly one side of a pair dials, so
 * both sides dialling never duplicates a connection. Browsers dial servers; servers never dial
 * browsers (they cannot); between equals the higher peer id dials.
 */
export function shouldDial(self: { id: string; runtime: Runtime }, other: { id: string; addrs: readonly string[] }): boolean {
  if (dialableAddrs(self.runtime, other.addrs).length === 0) return false
  const otherServer = isServerLike(other.addrs)
  if (self.runtime === 'browser' && otherServer) return true
  if (self.runtime === 'node' && !otherServer) return false
  return self.id > other.id
}

/** Loopback, RFC 1918, link-local, CGNAT or unique-local IPv6: addresses browsers refuse by default. */
export function isPrivateAddr(addr: string): boolean {
  const v4 = /\/ip4\/(\d+)\.(\d+)\.\d+\.\d+/.exec(addr)
  if (v4) {
    const a = Number(v4[1])
    const b = Number(v4[2])
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)
  }
  const v6 = /\/ip6\/([^/]+)/.exec(addr)
  if (v6) {
    const h = v6[1].toLowerCase()
    return h === '::1' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80')
  }
  return /\/dns4?\/localhost(\/|$)/.test(addr)
}

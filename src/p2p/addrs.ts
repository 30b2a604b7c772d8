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

/** Whether the dotted IPv4 `ip` is loopback, RFC 1918, link-local, CGNAT, "this network" or not unicast. */
function isPrivateIp4(ip: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(ip)
  if (!m) return true // not a plain dotted quad: nothing a browser should be sent to
  const a = Number(m[1])
  const b = Number(m[2])
  return a === 0 || a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127) || a >= 224
}

/** Whether the IPv6 `host` is loopback, unspecified, unique-local, link-local or an IPv4-mapped private address. */
function isPrivateIp6(host: string): boolean {
  const h = host.toLowerCase()
  if (h === '::1' || h === '::' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe8') || h.startsWith('fe9') || h.startsWith('fea') || h.startsWith('feb') || h.startsWith('ff')) return true
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)
  return mapped !== null && isPrivateIp4(mapped[1])
}

/**
 * Loopback, RFC 1918, link-local, CGNAT, unique-local IPv6 (and the like) or `localhost`: addresses
 * browsers refuse by default. Every IP or DNS component counts (a circuit address names its relay's).
 */
export function isPrivateAddr(addr: string): boolean {
  for (const m of addr.matchAll(/\/(ip4|ip6|dns|dns4|dns6|dnsaddr)\/([^/]+)/g)) {
    const [, proto, host] = m
    if (proto === 'ip4' ? isPrivateIp4(host) : proto === 'ip6' ? isPrivateIp6(host) : /(^|\.)localhost\.?$/i.test(host)) return true
  }
  return false
}

/** A WebSockets address without TLS (`/ws`, not `/tls/ws` or `/wss`): browsers on https pages cannot dial it. */
export function isInsecureWebSocket(addr: string): boolean {
  return /\/ws(\/|$)/.test(addr) && !/\/tls(\/sni\/[^/]+)?\/ws(\/|$)/.test(addr)
}

/**
 * The addresses of `addrs` our dial policy allows, learned from discovery records or the relay's
 * directory and so chosen by others: without `allowPrivate`, no private or loopback address (a
 * record must not make us probe the local network), and in browsers no plain `ws://` (what
 * libp2p's browser connection gater refuses anyway). The local default (a relay on a private
 * address: dev, tests) allows both.
 */
export function allowedDialAddrs(runtime: Runtime, addrs: readonly string[], allowPrivate: boolean): string[] {
  if (allowPrivate) return [...addrs]
  return addrs.filter((a) => !isPrivateAddr(a) && !(runtime === 'browser' && transportOf(a) === 'websockets' && isInsecureWebSocket(a)))
}

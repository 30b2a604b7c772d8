/**
 * Limits on circuit relay reservations, so one host cannot take the relay's slots: at most
 * `maxPerIp` reservations held by peers connected from one IP, and a token bucket of reservation
 * requests (new ones and renewals) per peer, each of which costs the relay a signed voucher.
 * `@libp2p/circuit-relay-v2` has neither (only a global `maxReservations`); it asks the connection
 * gater's `denyInboundRelayReservation(peer)` before each reservation, which is where
 * {@link reservationGate} plugs in. The policy ({@link ReservationLimiter}) is pure.
 */
import type { PeerId } from '@libp2p/interface'
import { transportOf } from './addrs.ts'
import { TokenBuckets, type RateLimit } from './rate.ts'

/**
 * Reservation lifetime: 15 min instead of the library's 2 h, so slots of peers that vanished
 * without closing come back sooner. The circuit-relay client renews 5 min before expiry (its
 * REFRESH_TIMEOUT; a renewal is accepted once under 10 min remain), so a connected browser keeps
 * its reservation; test/p2p/relay-renewal.heavy.test.ts watches one renewal happen.
 */
export const RESERVATION_TTL_MS = 15 * 60_000

/**
 * Default per-IP cap: an eighth of the slots (at least 16), so a NAT full of honest tabs fits
 * and one host cannot hold more than that.
 */
export function defaultMaxReservationsPerIp(maxReservations: number): number {
  return Math.max(16, Math.ceil(maxReservations / 8))
}

/** Reservation requests per peer: a few at once (reconnects), then one a minute (renewals come every ~10). */
export const DEFAULT_RESERVATION_REQUEST_RATE: RateLimit = { perSecond: 1 / 60, burst: 5 }

/** The IP of a multiaddr (`/ip4/…` or `/ip6/…`, first component), or undefined (DNS, relayed, …). */
export function ipOf(addr: string): string | undefined {
  const m = /^\/(ip4|ip6)\/([^/]+)/.exec(addr)
  return m?.[2]
}

export type ReservationDenial = 'per_ip' | 'rate'

export interface ReservationLimiterOptions {
  maxPerIp: number
  requestRate?: RateLimit
}

/** Decides whether a reservation request may reach the relay's reservation store. */
export class ReservationLimiter {
  readonly denied: Record<ReservationDenial, number> = { per_ip: 0, rate: 0 }
  private readonly requests: TokenBuckets

  constructor(private readonly options: ReservationLimiterOptions) {
    this.requests = new TokenBuckets(options.requestRate ?? DEFAULT_RESERVATION_REQUEST_RATE)
  }

  /**
   * Why `peer`, connected from `peerIps`, may not reserve now, or undefined when it may.
   * `held` lists the reservations held (owner and the IP it reserved from). A peer's own
   * reservation never counts against it: a renewal replaces it.
   */
  check(peer: string, peerIps: readonly string[], held: Iterable<{ peer: string; ip: string | undefined }>, now: number): ReservationDenial | undefined {
    const perIp = new Map<string, number>()
    for (const r of held) if (r.peer !== peer && r.ip !== undefined) perIp.set(r.ip, (perIp.get(r.ip) ?? 0) + 1)
    let denial: ReservationDenial | undefined
    if (peerIps.some((ip) => (perIp.get(ip) ?? 0) >= this.options.maxPerIp)) denial = 'per_ip'
    else if (!this.requests.take(peer, now)) denial = 'rate'
    if (denial !== undefined) this.denied[denial]++
    return denial
  }
}

/** What {@link reservationGate} reads from the running relay node. */
export interface RelayView {
  /** Remote addresses of the peer's open connections. */
  connectionAddrs(peer: PeerId): string[]
  /** Reservations held: owner and the address it reserved from. */
  reservations(): Iterable<{ peer: string; addr: string }>
}

/**
 * The connection gater hook that enforces `limiter`; `view` is read at call time (the node
 * exists only after the gater is configured).
 * @example connectionGater: { denyInboundRelayReservation: reservationGate(limiter, () => view) }
 */
export function reservationGate(limiter: ReservationLimiter, view: () => RelayView | undefined): (peer: PeerId) => boolean {
  return (peer) => {
    const v = view()
    if (v === undefined) return true
    const ips = v
      .connectionAddrs(peer)
      .filter((a) => transportOf(a) !== 'circuit-relay')
      .map(ipOf)
      .filter((ip): ip is string => ip !== undefined)
    const held = [...v.reservations()].map((r) => ({ peer: r.peer, ip: ipOf(r.addr) }))
    return limiter.check(peer.toString(), ips, held, Date.now()) !== undefined
  }
}

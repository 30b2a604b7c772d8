/**
 * Dial maintenance: keeps the bootstrap relay connected and a target number of direct peer
 * connections, dialling one address at a time (concurrent WebRTC dials from one tab hung 20–37% of
 * the time here), with a tie-break so only one side of a pair dials, and exponential back-off.
 * The policy ({@link DialPlanner}) is pure; {@link DialMaintainer} runs it against libp2p.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from '@libp2p/interface'
import { allowedDialAddrs, dialableAddrs, isServerLike, peerIdOf, shouldDial, transportOf, withPeerId, type Runtime } from './addrs.ts'

export interface Candidate {
  id: string
  addrs: string[]
  failures: number
  nextAttemptAt: number
  lastSeenAt: number
  firstSeenAt: number
  /** Inbound links the peer said it still accepts (its last record); 0 = full, do not dial. */
  slots?: number
  /** When our last dial to it succeeded (a link dropped soon after counts as a failure). */
  connectedAt?: number
}

export interface BackoffOptions {
  baseMs: number
  maxMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 30_000 }

/**
 * Back-off for the bootstrap relay: it is the only way in for browsers (and their WebRTC
 * signalling), so after a relay restart peers must be back within seconds (the chaos test
 * measures it); a capped retry every 3–5 s is one connection attempt per peer, spread by jitter.
 */
export const BOOTSTRAP_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 4_000 }

/** Delay before the next attempt after `failures` failed ones, with ±25% jitter from `rand` ∈ [0,1). */
export function backoffDelay(failures: number, rand: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const raw = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, failures - 1))
  return Math.round(raw * (0.75 + rand * 0.5))
}

/** Pure dial policy over the peers we have heard of. */
export class DialPlanner {
  readonly candidates = new Map<string, Candidate>()
  constructor(
    /** Who we are; `allowPrivate` lets learned private/loopback (and, in browsers, `ws://`) addresses through (local default). */
    private readonly self: { id: string; runtime: Runtime; allowPrivate?: boolean },
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    /** Forget peers not heard of for this long (and not connected). */
    private readonly forgetAfterMs = 600_000,
    /** How long the tie-break side gets before we dial a peer ourselves. */
    private readonly yieldMs = 5_000,
    private readonly serverBonus = 4,
  ) {}

  /**
   * Records a discovery record (addresses announced by `id`). Addresses our policy does not dial
   * (see `allowedDialAddrs`) are dropped here, before anything can dial them.
   */
  heard(id: string, announced: string[], now: number, slots?: number): void {
    if (id === this.self.id) return
    const addrs = allowedDialAddrs(this.self.runtime, announced, this.self.allowPrivate === true)
    const c = this.candidates.get(id)
    if (c === undefined) this.candidates.set(id, { id, addrs, failures: 0, nextAttemptAt: now, lastSeenAt: now, firstSeenAt: now, slots })
    else {
      c.slots = slots
      // New addresses (e.g. a new relay reservation after a restart) deserve a fresh try.
      if (addrs.join() !== c.addrs.join()) {
        c.failures = 0
        c.nextAttemptAt = now
      }
      c.addrs = addrs
      c.lastSeenAt = now
    }
  }

  /**
   * The next peer to dial and the address to use, or undefined when nothing is due. The tie-break
   * side dials first; if a peer stays unconnected for `yieldMs` (its side is at its target) we
   * dial it ourselves, so a newcomer is never starved. Server-like peers (Node validators) are
   * dialled by browsers up to `serverBonus` beyond the target: they are few and carry the subnet's work.
   */
  next(connected: ReadonlySet<string>, directCount: number, target: number, now: number): { id: string; addr: string } | undefined {
    // The bonus is a browser's preference for the few Node peers; among Node peers (all
    // server-like) it would only raise everyone's degree above the target.
    const bonus = this.self.runtime === 'browser' ? this.serverBonus : 0
    if (directCount >= target + bonus) return undefined
    let best: Candidate | undefined
    let bestRank = Infinity
    for (const c of this.candidates.values()) {
      if (connected.has(c.id)) continue
      if (now - c.lastSeenAt > this.forgetAfterMs) {
        this.candidates.delete(c.id)
        continue
      }
      if (c.nextAttemptAt > now || c.slots === 0 || dialableAddrs(this.self.runtime, c.addrs).length === 0) continue
      const server = isServerLike(c.addrs)
      if (directCount >= target && !server) continue
      const preferred = shouldDial(this.self, c)
      if (!preferred && now - c.firstSeenAt < this.yieldMs) continue
      const rank = (server ? 0 : 1000) + (preferred ? 0 : 100) + c.failures
      if (rank < bestRank || (rank === bestRank && best !== undefined && c.nextAttemptAt < best.nextAttemptAt)) {
        best = c
        bestRank = rank
      }
    }
    if (best === undefined) return undefined
    const addr = dialableAddrs(this.self.runtime, best.addrs)[best.failures % Math.max(1, dialableAddrs(this.self.runtime, best.addrs).length)]
    return addr === undefined ? undefined : { id: best.id, addr: withPeerId(addr, best.id) }
  }

  succeeded(id: string, now: number): void {
    const c = this.candidates.get(id)
    if (c) {
      c.failures = 0
      c.connectedAt = now
    }
  }

  /** A link to `id` closed: if it was ours and short-lived (the peer refused it as full), back off. */
  disconnected(id: string, now: number, rand: number): void {
    const c = this.candidates.get(id)
    if (c?.connectedAt === undefined) return
    const lived = now - c.connectedAt
    c.connectedAt = undefined
    if (lived < 10_000) this.failed(id, now, rand)
  }

  failed(id: string, now: number, rand: number): void {
    const c = this.candidates.get(id)
    if (!c) return
    c.failures += 1
    c.nextAttemptAt = now + backoffDelay(c.failures, rand, this.backoff)
  }
}

export interface MaintainerOptions {
  runtime: Runtime
  bootstrap: string[]
  targetConnections: number
  /** Dial private/loopback (and, in browsers, `ws://`) addresses learned from others. Default false. */
  allowPrivateAddresses?: boolean
  tickMs?: number
  dialTimeoutMs?: number
  log?: (msg: string) => void
}

/** Peers we have a usable direct (non-relayed, open) connection to. */
export function directPeers(node: Libp2p): Set<string> {
  const out = new Set<string>()
  for (const c of node.getConnections()) {
    if (c.status === 'open' && c.limits === undefined && transportOf(c.remoteAddr.toString()) !== 'circuit-relay') out.add(c.remotePeer.toString())
  }
  return out
}

/**
 * Runs the dial loop: one dial in flight at a time; the relay first, then peers from the planner.
 */
export class DialMaintainer {
  readonly planner: DialPlanner
  private timer: ReturnType<typeof setTimeout> | undefined
  private busy = false
  private stopped = true
  private readonly bootstrapIds: Set<string>
  private readonly bootstrapState = new Map<string, { failures: number; nextAttemptAt: number }>()
  private controller = new AbortController()

  constructor(
    private readonly node: Libp2p,
    private readonly options: MaintainerOptions,
  ) {
    this.planner = new DialPlanner({ id: node.peerId.toString(), runtime: options.runtime, allowPrivate: options.allowPrivateAddresses })
    this.bootstrapIds = new Set(options.bootstrap.map((a) => peerIdOf(a)).filter((x): x is string => x !== undefined))
  }

  isBootstrap(peerId: string): boolean {
    return this.bootstrapIds.has(peerId)
  }

  start(): void {
    this.stopped = false
    if (this.controller.signal.aborted) this.controller = new AbortController() // restarted after stop()
    this.kick()
  }

  stop(): void {
    this.stopped = true
    this.controller.abort()
    if (this.timer) clearTimeout(this.timer)
  }

  /** Runs a maintenance step soon (after discovery or a disconnect), and keeps ticking. */
  kick(delayMs = 0): void {
    if (this.stopped) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.tick(), delayMs)
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.busy) return
    this.busy = true
    let dialled = false
    try {
      this.closeStaleRelayed()
      dialled = (await this.ensureBootstrap()) || (await this.dialOnePeer())
    } finally {
      this.busy = false
      // Right after a dial, look again at once: there may be more to do.
      this.kick(dialled ? 50 : (this.options.tickMs ?? 1_000))
    }
  }

  private async ensureBootstrap(): Promise<boolean> {
    const connected = new Set(this.node.getConnections().map((c) => c.remotePeer.toString()))
    const now = Date.now()
    for (const addr of this.options.bootstrap) {
      const id = peerIdOf(addr)
      if (id !== undefined && connected.has(id)) {
        this.bootstrapState.delete(addr)
        continue
      }
      const st = this.bootstrapState.get(addr) ?? { failures: 0, nextAttemptAt: 0 }
      if (st.nextAttemptAt > now) continue
      try {
        await this.node.dial(multiaddr(addr), { signal: this.signal() })
        this.bootstrapState.delete(addr)
      } catch (err) {
        st.failures += 1
        st.nextAttemptAt = Date.now() + backoffDelay(st.failures, Math.random(), BOOTSTRAP_BACKOFF)
        this.bootstrapState.set(addr, st)
        this.options.log?.(`bootstrap dial ${addr} failed: ${(err as Error).message}`)
      }
      return true
    }
    return false
  }

  private async dialOnePeer(): Promise<boolean> {
    const direct = directPeers(this.node)
    const countable = [...direct].filter((p) => !this.bootstrapIds.has(p)).length
    const plan = this.planner.next(direct, countable, this.options.targetConnections, Date.now())
    if (plan === undefined) return false
    try {
      await this.node.dial(multiaddr(plan.addr), { signal: this.signal() })
      this.planner.succeeded(plan.id, Date.now())
      if (transportOf(plan.addr) === 'webrtc') this.closeRelayedSoon(plan.id)
    } catch (err) {
      this.planner.failed(plan.id, Date.now(), Math.random())
      this.options.log?.(`dial ${plan.addr} failed: ${(err as Error).message}`)
    }
    return true
  }

  /**
   * Relayed connections only carry WebRTC signalling, which finishes within the dial timeout;
   * any older one (a failed dial, or the accepting side of a successful one) only holds a relay
   * slot and costs keep-alives, so close it.
   */
  private closeStaleRelayed(): void {
    const now = Date.now()
    for (const c of this.node.getConnections()) {
      const relayed = c.limits !== undefined || transportOf(c.remoteAddr.toString()) === 'circuit-relay'
      if (relayed && c.status === 'open' && now - c.timeline.open > 30_000) c.close().catch(() => {})
    }
  }

  /**
   * The relayed connection that carried the WebRTC signalling is no longer needed once the direct
   * link is up; closing it frees a relay slot (the relay would cut it at its limits anyway). Not
   * at once: on a loaded machine the accepting side may still be finishing the signalling stream
   * and its upgrade over it, and cutting that makes it drop a link we already count as open.
   */
  private closeRelayedSoon(peerId: string): void {
    setTimeout(() => {
      if (this.stopped) return
      for (const c of this.node.getConnections()) {
        if (c.remotePeer.toString() === peerId && c.status === 'open' && (c.limits !== undefined || transportOf(c.remoteAddr.toString()) === 'circuit-relay')) {
          c.close().catch(() => {})
        }
      }
    }, 12_000)
  }

  private signal(): AbortSignal {
    return AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.options.dialTimeoutMs ?? 15_000)])
  }
}

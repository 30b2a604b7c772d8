/**
 * The mesh: one libp2p node per webtensor node, browser or Node, carrying signed envelopes over
 * gossipsub topics per netuid and kind. Browser: WebSockets to the relay, circuit relay v2 for
 * signalling, direct WebRTC to other browsers, WebSockets to Node peers. Node: TCP + WebSockets.
 */
import { createLibp2p } from 'libp2p'
import { gossipsub, TopicValidatorResult, type GossipSub, type Message, type SubscriptionChangeData } from '@libp2p/gossipsub'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { webRTC } from '@libp2p/webrtc'
import { tcp } from '@libp2p/tcp'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, Libp2p, Libp2pEvents, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Signer } from '../identity/identity.ts'
import { allowedDialAddrs, dialableAddrs, isPrivateAddr, peerIdOf, transportOf, type Runtime } from './addrs.ts'
import { DialMaintainer, directPeers } from './dialer.ts'
import { DIRECTORY_PROTOCOL, DISCOVERY_TOPIC, MAX_DIRECTORY_ENTRIES, MAX_RECORD_BYTES, parseDirectory, RecordGuard, sealRecord } from './discovery.ts'
import { encodeEnvelope, GOSSIP_KINDS, MAX_WIRE_BYTES, type Envelope, type MessageKind, type Payloads } from './envelope.ts'
import { P2PError } from './errors.ts'
import { InboundGuard, type Authorize, type RateLimit } from './guard.ts'
import { parseIceServers, type IceServer } from './ice-servers.ts'
import { fastMsgIdFn, msgIdFn } from './msg-id.ts'
import { peerScoreParams, SCORE_THRESHOLDS } from './scoring.ts'
import { ensureRuntime, isNode } from './runtime.ts'
import { handleRequests, request, requestProtocol, type RequestHandler, type RequestOptions } from './rpc.ts'

export interface MeshOptions {
  netuid: number
  signer: Signer
  /** Relay multiaddrs including `/p2p/<id>`. */
  bootstrap: string[]
  /** Node only: listen addresses, e.g. `['/ip4/127.0.0.1/tcp/0/ws']` so browsers can dial this peer directly. */
  listen?: string[]
  /** Direct (non-relay) connections the dialer keeps; inbound links beyond twice this are refused. Default 4 in browsers, 8 in Node. */
  targetConnections?: number
  /**
   * Dial private/loopback and plain `ws://` addresses (dev, tests, LAN), including those learned
   * from discovery records and the relay's directory (otherwise filtered out before dialling).
   * Default: true when a bootstrap address is private (the local default).
   */
  allowPrivateAddresses?: boolean
  /** Inbound validation knobs (defaults suit a subnet: ±60 s clock, 500 msg/s per neighbour, 50 per hotkey). */
  clockWindowMs?: number
  peerRate?: RateLimit
  hotkeyRate?: RateLimit
  /** The role check at the door (see `Authorize`): who may publish which kind. Default: anyone. */
  authorize?: Authorize
  /** Kinds joined and forwarded by gossip (default `GOSSIP_KINDS`); tests and benches may add others. */
  gossipKinds?: readonly MessageKind[]
  /** Debug log sink (dial failures and the like). */
  log?: (msg: string) => void
  /** Browser only: STUN/TURN servers for WebRTC links (checked here). Default none: host candidates only. */
  iceServers?: IceServer[]
  /**
   * Peers this node neither dials nor accepts, asked at each connection (a network partition in
   * the simulator; the answer may change over time). Existing links are not closed by it.
   */
  denyPeer?: (peerId: string) => boolean
}

/** The bytes an envelope's hotkey signed and its sr25519 signature of them (64 bytes). */
export interface SignedBytes {
  body: Uint8Array
  signature: Uint8Array
}

export interface MeshStats {
  /** Peers with a connection on which identify completed (a link that really works). */
  peers: number
  /** Open connections by transport: webrtc, websockets, tcp, circuit-relay. */
  byTransport: Record<string, number>
  published: number
  received: number
  rejected: Record<string, number>
}

export interface Mesh {
  readonly peerId: string
  readonly multiaddrs: string[]
  start(): Promise<void>
  stop(): Promise<void>
  /** Signs and gossips a message; resolves once handed to gossipsub. Own messages are not delivered to own handlers. */
  publish<K extends MessageKind>(kind: K, payload: Payloads[K]): Promise<void>
  /**
   * Handlers see only messages that passed every inbound check, with the exact bytes the author
   * signed (`envelopeBody(msg)` equals `signed.body`), so a message can be kept or relayed as
   * evidence (e.g. in the chain's log) and re-verified by anyone. Returns an unsubscribe function.
   */
  subscribe<K extends MessageKind>(kind: K, handler: (msg: Envelope<K>, signed: SignedBytes) => void): () => void
  stats(): MeshStats
  /** Fires on connection changes (open, close, identify). */
  onStats(handler: (s: MeshStats) => void): () => void
  /**
   * Serves direct requests of kind `name` (e.g. 'missed-message', 'weights-log') from connected
   * peers; the handler gets the raw request bytes and the caller's peer id. Resolves to an
   * unregister function. Bytes are not validated here: carry signed envelopes inside when the
   * content must be attributable.
   */
  handle(name: string, handler: RequestHandler): Promise<() => Promise<void>>
  /** Sends a direct request to `peerId` (over a direct link) and resolves with the answer; P2PError `timeout` / `too_large` / `request_failed`, or `dial_failed` when no stream opened (the request never reached the peer). */
  request(peerId: string, name: string, body: Uint8Array, options?: RequestOptions): Promise<Uint8Array>
  /**
   * Opens a direct link to `peerId` unless one is open, dialling the addresses it is known by (a
   * miner links to the validators that must reach it: a Node peer cannot dial a browser).
   */
  connect(peerId: string): Promise<void>
  /**
   * Opens a direct link to the peer at `addr` (a multiaddr ending with `/p2p/<peer id>`, e.g. one
   * a miner published on chain) unless one is open. Chosen by others, so checked first: P2PError
   * `bad_address` for what is not such a multiaddr, what this runtime cannot dial directly (a relayed
   * address) or what the dial policy forbids (a private address unless the relay is private, plain
   * `ws://` in browsers: `allowedDialAddrs`); `dial_failed` when no link opens (also when the peer
   * there is another one: the handshake proves the id).
   */
  connectAddr(addr: string): Promise<void>
  /** The underlying libp2p node, for diagnostics and benchmarks. */
  readonly libp2p: Libp2p
}

/**
 * Topic of one message kind on one subnet. Version 2: gossip carries no libp2p signatures (see
 * msg-id.ts), which peers of version 1 would refuse, as they would be refused.
 */
export function topicFor(netuid: number, kind: MessageKind): string {
  return `webtensor/${netuid}/${kind}/2`
}

export { DISCOVERY_TOPIC } from './discovery.ts'

/**
 * Gossipsub mesh degree of webtensor peers. Every message reaches a peer once from each of its
 * mesh peers, and every copy after the first is pure cost (receive, decrypt, decode, drop); with
 * many peers on few cores that is most of the CPU. gossipsub's defaults (D 6, 4–12) suit large
 * adversarial networks; a webtensor peer keeps only 4 (browser) or 8 (Node) direct links, and a
 * mesh of 3 (2–5) still delivered every message in `bench/p2p` (gossip repairs what the mesh
 * misses), with 20 tabs' p95 latency down from 0.3–1.6 s at D 4 to 0.12–0.17 s and 200 Node
 * peers' from 8.7–9.9 s at D 4–5 to 3.9–4.2 s. See docs/benchmarks.md.
 */
export const MESH_DEGREE = { D: 3, Dlo: 2, Dhi: 5, Dscore: 1, Dout: 1, Dlazy: 3 } as const

/**
 * Gossipsub settings shared by peers and the relay. Scores the discovery topic and, given a
 * netuid, that subnet's application topics (see scoring.ts); the relay, which joins only the
 * discovery topic, passes none.
 */
export function gossipsubOptions(netuid?: number, kinds: readonly MessageKind[] = GOSSIP_KINDS): Parameters<typeof gossipsub>[0] {
  const scored = [DISCOVERY_TOPIC, ...(netuid === undefined ? [] : kinds.map((k) => topicFor(netuid, k)))]
  return {
    allowPublishToZeroTopicPeers: true,
    emitSelf: false,
    // Messages are signed inside (see msg-id.ts); ids are content hashes.
    globalSignaturePolicy: 'StrictNoSign',
    msgIdFn,
    fastMsgIdFn,
    // IDONTWANT saves bandwidth on large messages but costs a control frame to every mesh peer per
    // message; for the small messages that dominate (queries, weights) it only adds CPU.
    idontwantMinDataSize: 16 * 1024,
    // A publisher sends to its mesh peers only, not to every peer on the topic: with flood
    // publishing, every peer reached outside the mesh also forwards to its whole mesh, which
    // cost 20 tabs ~0.4 more copies per delivered message (bench/p2p: 2.49 → 1.91–2.23) for no
    // gain in latency. Gossip (IHAVE/IWANT) still repairs what a mesh misses.
    floodPublish: false,
    // Metagraph snapshots are up to 1 MiB; the RPC limit must leave room for them.
    maxInboundDataLength: 4 * 1024 * 1024,
    // Invalid messages (topic validators' Reject) cost score; below the graylist a peer is
    // pruned and ignored. No IP-colocation penalty (many browsers share one IP).
    scoreParams: peerScoreParams(scored),
    scoreThresholds: SCORE_THRESHOLDS,
  }
}

/**
 * Creates (but does not start) a mesh node.
 * @example const mesh = await createMesh({ netuid: 1, signer: hotkey, bootstrap: [relayAddr] }); await mesh.start()
 */
export async function createMesh(options: MeshOptions): Promise<Mesh> {
  await ensureRuntime()
  if (!Number.isInteger(options.netuid) || options.netuid < 0 || options.netuid > 0xffff) {
    throw new P2PError(`netuid must be a u16, got ${options.netuid}`, { code: 'bad_options' })
  }
  const runtime: Runtime = isNode ? 'node' : 'browser'
  const allowPrivate = allowsPrivateAddresses(options)
  // Each WebRTC link costs a tab CPU even when idle (ICE/SCTP keep-alives): browsers keep fewer.
  const target = options.targetConnections ?? (runtime === 'browser' ? 4 : 8)
  // A bad entry would make every RTCPeerConnection throw: refuse it here, with the field named.
  const iceServers = parseIceServers(options.iceServers ?? [], 'iceServers')

  // Kept here as well as in libp2p: discovery records are sealed with it.
  const privateKey = await generateKeyPair('Ed25519')
  const node = await createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: runtime === 'browser' ? ['/p2p-circuit', '/webrtc'] : (options.listen ?? ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws']) },
    transports:
      runtime === 'browser'
        ? [webSockets(), webRTC({ rtcConfiguration: { iceServers } }), circuitRelayTransport({ reservationCompletionTimeout: 20_000 })]
        : [tcp(), webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // (undefined keeps libp2p's default gater, which refuses private addresses)
    connectionGater: !allowPrivate && options.denyPeer === undefined ? undefined : {
      ...(allowPrivate ? { denyDialMultiaddr: () => false } : {}),
      ...(options.denyPeer === undefined
        ? {}
        : {
            denyDialPeer: (id: { toString(): string }) => options.denyPeer!(id.toString()),
            denyInboundEncryptedConnection: (id: { toString(): string }) => options.denyPeer!(id.toString()),
            denyOutboundEncryptedConnection: (id: { toString(): string }) => options.denyPeer!(id.toString()),
          }),
    },
    connectionManager: {
      maxConnections: Math.max(32, target * 4),
      // Relayed and co-located peers all arrive from one IP; the default (5/s per IP) refused them.
      inboundConnectionThreshold: 200,
      maxIncomingPendingConnections: 50,
      // The accepting side of a WebRTC dial runs signalling and upgrade under this deadline; it
      // must outlast the dialler's (15 s), or a loaded tab gives up on a link the dialler already
      // counts as open (a half-open link: the dialler sends into a closed peer connection).
      inboundUpgradeTimeout: 20_000,
    },
    // Off: aborting links on a missed ping tore down healthy ones on a busy event loop, and
    // without that it only measures RTT, at a cost: it pings every connection of a node in one
    // burst (a new stream each; a data channel over WebRTC), and nodes started together burst
    // together: 200 Node peers stalled for 2–4 s every interval (bench/p2p). Dead links are
    // still found by yamux keep-alive pings, TCP keep-alive and WebRTC's ICE consent checks.
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({ ...gossipsubOptions(options.netuid, options.gossipKinds), ...MESH_DEGREE }),
    },
  })
  return new LibpMesh(node as unknown as Libp2p<{ pubsub: GossipSub; identify: Identify }>, options, runtime, target, privateKey)
}

type Handler = (msg: Envelope, signed: SignedBytes) => void

/** `allowPrivateAddresses`, defaulting to the local default: true when a bootstrap relay is on a private/loopback address. */
function allowsPrivateAddresses(options: MeshOptions): boolean {
  return options.allowPrivateAddresses ?? options.bootstrap.some(isPrivateAddr)
}

/** How long `connect` waits for a link (a WebRTC dial through the relay included). */
const CONNECT_TIMEOUT_MS = 20_000

/** How often a peer re-announces its record when nothing changed. */
const REANNOUNCE_MS = 300_000

/** A direct link not identified by then gets one more identify; if that fails too, it is closed as half-open. */
const LINK_PROBE_MS = 20_000
const LINK_PROBE_TIMEOUT_MS = 15_000

class LibpMesh implements Mesh {
  private readonly pubsub: GossipSub
  private readonly guard: InboundGuard
  /** Discovery records: per-neighbour and per-owner rate limits, size and form before the signature. */
  private readonly records = new RecordGuard()
  private readonly dialer: DialMaintainer
  private readonly handlers = new Map<MessageKind, Set<Handler>>()
  private readonly statsHandlers = new Set<(s: MeshStats) => void>()
  private readonly identified = new Set<string>()
  /** Connections on which identify completed: the remote side really has the link too. */
  private readonly identifiedConns = new WeakSet<Connection>()
  private readonly probes = new Set<ReturnType<typeof setTimeout>>()
  /** Verdicts from the topic validator, handed to the 'message' event (same object). */
  private readonly accepted = new WeakMap<Message, { envelope: Envelope; signed: SignedBytes }>()
  private readonly topicKinds = new Map<string, MessageKind>()
  private seq = Date.now() * 1000 // a reloaded tab with the same hotkey never reuses a seq
  private published = 0
  private received = 0
  private started = false
  private lastAdvert = 0
  private lastDirectory = 0
  private advertTimer: ReturnType<typeof setTimeout> | undefined
  private periodic: ReturnType<typeof setTimeout> | undefined
  private readonly cleanups: (() => void)[] = []

  constructor(
    readonly libp2p: Libp2p<{ pubsub: GossipSub; identify: Identify }>,
    private readonly options: MeshOptions,
    private readonly runtime: Runtime,
    private readonly target: number,
    private readonly privateKey: PrivateKey,
  ) {
    this.pubsub = libp2p.services.pubsub
    this.guard = new InboundGuard({
      netuid: options.netuid,
      clockWindowMs: options.clockWindowMs,
      peerRate: options.peerRate,
      hotkeyRate: options.hotkeyRate,
      authorize: options.authorize,
    })
    this.dialer = new DialMaintainer(libp2p, { runtime, bootstrap: options.bootstrap, targetConnections: target, allowPrivateAddresses: allowsPrivateAddresses(options), log: options.log })
    for (const kind of options.gossipKinds ?? GOSSIP_KINDS) this.topicKinds.set(topicFor(options.netuid, kind), kind)
  }

  get peerId(): string {
    return this.libp2p.peerId.toString()
  }

  get multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((m) => m.toString())
  }

  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    const on = <E extends keyof Libp2pEvents>(name: E, fn: (e: Libp2pEvents[E]) => void) => {
      this.libp2p.addEventListener(name, fn as never)
      this.cleanups.push(() => this.libp2p.removeEventListener(name, fn as never))
    }
    on('peer:identify', (e) => {
      const peer = e.detail.peerId.toString()
      this.identified.add(peer)
      this.identifiedConns.add(e.detail.connection)
      if (this.dialer.isBootstrap(peer)) void this.fetchDirectory(peer)
      this.emitStats()
    })
    on('connection:open', (e) => {
      this.refuseIfFull(e.detail)
      this.probeLater(e.detail)
      this.emitStats()
    })
    on('connection:close', (e) => {
      const peer = e.detail.remotePeer.toString()
      this.dialer.planner.disconnected(peer, Date.now(), Math.random())
      if (!this.libp2p.getConnections(e.detail.remotePeer).some((c) => c.status === 'open')) this.identified.delete(peer)
      this.emitStats()
      this.dialer.kick(100)
    })
    on('self:peer:update', () => this.advertise())

    for (const [topic, kind] of this.topicKinds) {
      this.pubsub.topicValidators.set(topic, (source, msg) => this.validate(kind, source.toString(), msg))
    }
    this.pubsub.topicValidators.set(DISCOVERY_TOPIC, (from, msg) => this.onDiscovery(from.toString(), msg))
    const onMessage = (evt: CustomEvent<Message>) => this.deliver(evt.detail)
    this.pubsub.addEventListener('message', onMessage)
    this.cleanups.push(() => this.pubsub.removeEventListener('message', onMessage))
    // Announce as soon as the relay can forward it (at join, and after the relay restarts, when
    // its directory starts empty); a record published before that reaches nobody.
    const onSubscription = (evt: CustomEvent<SubscriptionChangeData>) => {
      const { peerId, subscriptions } = evt.detail
      if (this.dialer.isBootstrap(peerId.toString()) && subscriptions.some((s) => s.topic === DISCOVERY_TOPIC && s.subscribe)) this.advertise()
    }
    this.pubsub.addEventListener('subscription-change', onSubscription)
    this.cleanups.push(() => this.pubsub.removeEventListener('subscription-change', onSubscription))

    await this.libp2p.start()
    // Every peer joins every topic of its subnet, so each one forwards all kinds (gossipsub
    // refuses subscriptions before it starts).
    for (const topic of this.topicKinds.keys()) this.pubsub.subscribe(topic)
    this.pubsub.subscribe(DISCOVERY_TOPIC)
    this.dialer.start()
    this.schedulePeriodic()
    this.advertise()
  }

  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    this.dialer.stop()
    for (const t of this.probes) clearTimeout(t)
    this.probes.clear()
    if (this.periodic) clearTimeout(this.periodic)
    if (this.advertTimer) clearTimeout(this.advertTimer)
    for (const c of this.cleanups.splice(0)) c()
    await this.libp2p.stop()
  }

  async publish<K extends MessageKind>(kind: K, payload: Payloads[K]): Promise<void> {
    if (!this.started) throw new P2PError('mesh is not started', { code: 'not_started' })
    const envelope: Envelope<K> = {
      netuid: this.options.netuid,
      kind,
      hotkey: this.options.signer.address,
      peerId: this.peerId,
      seq: this.seq++,
      timestamp: Date.now(),
      payload,
    }
    const bytes = encodeEnvelope(envelope, this.options.signer)
    if (bytes.byteLength > MAX_WIRE_BYTES[kind]) {
      throw new P2PError(`${kind} message of ${bytes.byteLength} bytes exceeds ${MAX_WIRE_BYTES[kind]}`, { code: 'oversize' })
    }
    await this.pubsub.publish(topicFor(this.options.netuid, kind), bytes)
    this.published++
  }

  subscribe<K extends MessageKind>(kind: K, handler: (msg: Envelope<K>, signed: SignedBytes) => void): () => void {
    let set = this.handlers.get(kind)
    if (set === undefined) this.handlers.set(kind, (set = new Set()))
    const h = handler as unknown as Handler
    set.add(h)
    return () => set.delete(h)
  }

  handle(name: string, handler: RequestHandler): Promise<() => Promise<void>> {
    return handleRequests(this.libp2p, requestProtocol(this.options.netuid, name), handler, this.options.log)
  }

  request(peerId: string, name: string, body: Uint8Array, options?: RequestOptions): Promise<Uint8Array> {
    if (!this.started) return Promise.reject(new P2PError('mesh is not started', { code: 'not_started' }))
    return request(this.libp2p, peerId, requestProtocol(this.options.netuid, name), body, options)
  }

  async connect(peerId: string): Promise<void> {
    if (!this.started) throw new P2PError('mesh is not started', { code: 'not_started' })
    if (peerId === this.peerId || directPeers(this.libp2p).has(peerId)) return
    try {
      await this.libp2p.dial(peerIdFromString(peerId), { signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) })
    } catch (err) {
      throw new P2PError(`could not link to ${peerId}: ${(err as Error).message}`, { code: 'dial_failed', cause: err })
    }
  }

  async connectAddr(addr: string): Promise<void> {
    if (!this.started) throw new P2PError('mesh is not started', { code: 'not_started' })
    const peerId = peerIdOf(addr)
    let ma: ReturnType<typeof multiaddr>
    try {
      if (peerId === undefined) throw new Error('no /p2p/<peer id> at its end')
      peerIdFromString(peerId)
      ma = multiaddr(addr)
    } catch (err) {
      throw new P2PError(`${addr.slice(0, 200)} is not a peer's multiaddr: ${(err as Error).message}`, { code: 'bad_address', cause: err })
    }
    if (dialableAddrs(this.runtime, [addr]).length === 0) throw new P2PError(`${addr} cannot be dialled directly from ${this.runtime === 'node' ? 'Node' : 'a browser'}`, { code: 'bad_address' })
    if (allowedDialAddrs(this.runtime, [addr], allowsPrivateAddresses(this.options)).length === 0) throw new P2PError(`${addr} is a private or insecure address, refused (the relay is public)`, { code: 'bad_address' })
    if (peerId === this.peerId || directPeers(this.libp2p).has(peerId)) return
    try {
      await this.libp2p.dial(ma, { signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) })
    } catch (err) {
      throw new P2PError(`could not link to ${addr}: ${(err as Error).message}`, { code: 'dial_failed', cause: err })
    }
  }

  stats(): MeshStats {
    const byTransport: Record<string, number> = {}
    const open = new Set<string>()
    for (const c of this.libp2p.getConnections()) {
      if (c.status !== 'open') continue
      const t = transportOf(c.remoteAddr.toString())
      byTransport[t] = (byTransport[t] ?? 0) + 1
      open.add(c.remotePeer.toString())
    }
    const peers = [...this.identified].filter((p) => open.has(p)).length
    const rejected: Record<string, number> = { ...this.guard.rejected }
    for (const [reason, n] of Object.entries(this.records.rejected)) rejected[`record_${reason}`] = n
    return { peers, byTransport, published: this.published, received: this.received, rejected }
  }

  onStats(handler: (s: MeshStats) => void): () => void {
    this.statsHandlers.add(handler)
    return () => this.statsHandlers.delete(handler)
  }

  private emitStats(): void {
    if (this.statsHandlers.size === 0) return
    const s = this.stats()
    for (const h of this.statsHandlers) {
      try {
        h(s)
      } catch (err) {
        this.options.log?.(`stats handler threw: ${String(err)}`)
      }
    }
  }

  private validate(kind: MessageKind, source: string, msg: Message): TopicValidatorResult {
    const verdict = this.guard.check(msg.data, kind, source, Date.now())
    if (verdict.ok) {
      this.accepted.set(msg, { envelope: verdict.envelope, signed: { body: verdict.body, signature: verdict.signature } })
      return TopicValidatorResult.Accept
    }
    return verdict.action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
  }

  private deliver(msg: Message): void {
    const kind = this.topicKinds.get(msg.topic)
    if (kind === undefined) return
    const accepted = this.accepted.get(msg)
    if (accepted === undefined) return
    this.accepted.delete(msg)
    const { envelope, signed } = accepted
    this.received++
    for (const h of this.handlers.get(kind) ?? []) {
      try {
        h(envelope, signed)
      } catch (err) {
        this.options.log?.(`${kind} handler threw: ${String(err)}`)
      }
    }
  }

  /** Most direct peer links we keep (dialled + accepted); beyond it inbound links are refused. */
  private get maxDirect(): number {
    return 2 * this.target
  }

  private directCount(): number {
    let n = 0
    for (const p of directPeers(this.libp2p)) if (!this.dialer.isBootstrap(p)) n++
    return n
  }

  /** Closes a new inbound direct link when we are full, so a popular peer's load stays bounded. */
  private refuseIfFull(conn: Connection): void {
    if (conn.direction !== 'inbound' || conn.limits !== undefined || transportOf(conn.remoteAddr.toString()) === 'circuit-relay') return
    if (this.dialer.isBootstrap(conn.remotePeer.toString())) return
    const n = this.directCount()
    if (n > this.maxDirect) {
      conn.close().catch(() => {})
      return
    }
    // Tell the others when we fill up (or free up) so they stop (or resume) dialling us.
    if (n === this.maxDirect) this.advertise()
  }

  /**
   * Closes a direct link that never completes identify. When one side of a WebRTC dial gives up
   * (a timeout on a loaded machine) after the other side already counts the link as open, the
   * survivor holds a dead link that hides the peer from its dialer and silently eats gossip; a
   * link must answer identify (a full round trip) within {@link LINK_PROBE_MS}, or one retry.
   */
  private probeLater(conn: Connection): void {
    if (conn.limits !== undefined || transportOf(conn.remoteAddr.toString()) === 'circuit-relay') return
    const timer = setTimeout(() => {
      this.probes.delete(timer)
      if (!this.started || conn.status !== 'open' || this.identifiedConns.has(conn)) return
      this.libp2p.services.identify
        .identify(conn, { signal: AbortSignal.timeout(LINK_PROBE_TIMEOUT_MS) })
        .catch((err: unknown) => {
          if (!this.started || conn.status !== 'open' || this.identifiedConns.has(conn)) return
          this.options.log?.(`closing half-open link to ${conn.remotePeer.toString()}: ${String(err)}`)
          conn.abort(new P2PError('link failed identify', { code: 'half_open' }))
        })
    }, LINK_PROBE_MS)
    this.probes.add(timer)
  }

  /**
   * Every ~30 s: when short of links, asks the relay's directory for peers we have not heard of;
   * every ~5 min, re-announces so records stay fresh. Records reach every peer (O(peers²)
   * transmissions mesh-wide), and newcomers get the current set from the directory, so the
   * re-announcement is rare; changes (new addresses, filling up) are announced when they happen.
   */
  private schedulePeriodic(): void {
    this.periodic = setTimeout(() => {
      if (!this.started) return
      if (Date.now() - this.lastAdvert > REANNOUNCE_MS * (0.8 + Math.random() * 0.4)) this.advertise()
      if (this.directCount() < this.target) {
        const relay = [...directPeers(this.libp2p)].find((p) => this.dialer.isBootstrap(p))
        if (relay !== undefined) void this.fetchDirectory(relay)
      }
      this.schedulePeriodic()
    }, 30_000 * (0.8 + Math.random() * 0.4))
  }

  /** Publishes our dialable addresses on the discovery topic, at most every 2 s. */
  private advertise(): void {
    if (!this.started) return
    const wait = this.lastAdvert + 2_000 - Date.now()
    if (wait > 0) {
      this.advertTimer ??= setTimeout(() => {
        this.advertTimer = undefined
        this.advertise()
      }, wait)
      return
    }
    // Only what others may dial: no relayed-only addresses, and outside the local default no
    // private ones (they would be dropped by every receiver, after crowding out public ones).
    const addrs = allowedDialAddrs('node', this.multiaddrs.filter((a) => transportOf(a) !== 'circuit-relay'), allowsPrivateAddresses(this.options))
    if (addrs.length === 0) return // no reservation yet: self:peer:update will call again
    this.lastAdvert = Date.now()
    const slots = Math.max(0, this.maxDirect - this.directCount())
    sealRecord({ id: this.peerId, addrs, slots, ts: this.lastAdvert }, (data) => this.privateKey.sign(data))
      .then((record) => this.pubsub.publish(DISCOVERY_TOPIC, record))
      .catch((err: unknown) => this.options.log?.(`advertise failed: ${String(err)}`))
  }

  private async onDiscovery(from: string, msg: Message): Promise<TopicValidatorResult> {
    const verdict = await this.records.check(msg.data, from, Date.now())
    if (!verdict.ok) return verdict.action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
    const { id, addrs, slots } = verdict.record
    if (id === this.peerId) return TopicValidatorResult.Accept
    const isNew = !this.dialer.planner.candidates.has(id)
    this.dialer.planner.heard(id, addrs, Date.now(), slots)
    if (isNew) this.dialer.kick()
    return TopicValidatorResult.Accept
  }

  /** Asks the relay for the peer records it holds (at most every 10 s) and feeds them to the dialer. */
  private async fetchDirectory(relay: string): Promise<void> {
    const now = Date.now()
    if (now - this.lastDirectory < 10_000) return
    this.lastDirectory = now
    try {
      const bytes = await request(this.libp2p, relay, DIRECTORY_PROTOCOL, new Uint8Array(0), { timeoutMs: 10_000, maxBytes: MAX_DIRECTORY_ENTRIES * MAX_RECORD_BYTES })
      if (!this.started) return
      let added = 0
      for (const e of parseDirectory(bytes)) {
        if (e.id === this.peerId) continue
        if (!this.dialer.planner.candidates.has(e.id)) added++
        this.dialer.planner.heard(e.id, e.addrs, Date.now(), e.slots)
      }
      if (added > 0) this.dialer.kick()
    } catch (err) {
      // An older relay without a directory: gossiped records still arrive, just more slowly.
      this.options.log?.(`directory from ${relay} failed: ${String(err)}`)
    }
  }
}

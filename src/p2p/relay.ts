/**
 * The relay/bootstrap node browsers need: a WebSockets listener, a circuit relay v2 server sized
 * for many browsers (relayed connections carry only WebRTC signalling), and the discovery topic
 * (it forwards peer records but never joins the application topics, so app traffic never depends
 * on it). Node only.
 */
import { createLibp2p } from 'libp2p'
import { gossipsub, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayServer, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { transportOf } from './addrs.ts'
import { P2PError } from './errors.ts'
import { Directory, DIRECTORY_PROTOCOL, DISCOVERY_TOPIC, encodeDirectory, RecordGuard } from './discovery.ts'
import { gossipsubOptions } from './mesh.ts'
import { defaultMaxReservationsPerIp, RESERVATION_TTL_MS, ReservationLimiter, reservationGate, type RelayView } from './relay-limits.ts'
import { handleRequests } from './rpc.ts'
import { ensureRuntime, isNode } from './runtime.ts'

export interface RelayOptions {
  host: string
  /** WebSockets port; 0 = any. */
  port: number
  /** Persist the peer key here so a restart keeps the peer id (and the address browsers know). */
  keyFile?: string
  /** Circuit relay reservations (one per browser). Default 512. */
  maxReservations?: number
  /** Reservations held at once by peers from one IP. Default: an eighth of `maxReservations`, at least 16. */
  maxReservationsPerIp?: number
  /** Reservation lifetime; clients renew 5 min before expiry. Default 15 min (`RESERVATION_TTL_MS`). */
  reservationTtlMs?: number
  /**
   * Open connections: every peer keeps one to its bootstrap relay (browsers and Node peers alike),
   * plus the relayed links of WebRTC signalling. Default: 1024, or more when the reservations need it.
   */
  maxConnections?: number
  /**
   * PEM certificate and key: the listener speaks WebSockets over TLS (`/tls/ws`), which https pages
   * need. A second, plain listener on 127.0.0.1 (any port) serves Node peers on this host, which
   * dial an IP address the certificate need not name.
   */
  tls?: { cert: string; key: string }
}

export interface RelayMetrics {
  peerId: string
  multiaddrs: string[]
  /** Connected peers. */
  peers: number
  connections: number
  byTransport: Record<string, number>
  reservations: number
  maxReservations: number
  /** Reservation requests refused: too many held from the peer's IP, or too many requests from the peer. */
  reservationsDenied: { per_ip: number; rate: number }
  /** Peers subscribed to the discovery topic through us. */
  discoverySubscribers: number
  /** Peer records the directory holds. */
  directory: number
  uptimeS: number
}

export interface Relay {
  readonly peerId: string
  readonly multiaddrs: string[]
  start(): Promise<void>
  stop(): Promise<void>
  /** JSON-able health figures for an HTTP endpoint. */
  metrics(): RelayMetrics
}

/**
 * Creates (but does not start) a relay.
 * @example const relay = await createRelay({ host: '127.0.0.1', port: 9090, keyFile: '.webtensor/relay.key' })
 */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  if (!isNode) throw new P2PError('the relay runs in Node', { code: 'unsupported_runtime' })
  await ensureRuntime()
  const maxReservations = options.maxReservations ?? 512
  const privateKey = await loadOrCreateKey(options.keyFile)
  const limiter = new ReservationLimiter({ maxPerIp: options.maxReservationsPerIp ?? defaultMaxReservationsPerIp(maxReservations) })
  let view: RelayView | undefined
  const node = await createLibp2p({
    start: false,
    privateKey,
    addresses: {
      listen: options.tls === undefined ? [`/ip4/${options.host}/tcp/${options.port}/ws`] : [`/ip4/${options.host}/tcp/${options.port}/tls/ws`, '/ip4/127.0.0.1/tcp/0/ws'],
    },
    transports: [webSockets(options.tls === undefined ? {} : { https: { cert: options.tls.cert, key: options.tls.key } })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false, denyInboundRelayReservation: reservationGate(limiter, () => view) },
    connectionManager: {
      // A peer refused here has no other way into the mesh, so leave room beyond the reservations.
      maxConnections: options.maxConnections ?? Math.max(1024, maxReservations * 2 + 64),
      // Every tab of one machine/NAT connects from one IP; the default allows 5 per second.
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: 256,
    },
    // Off, as on peers (see mesh.ts): a ping burst over every connection each 10 s, for an RTT nobody reads.
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      ping: ping(),
      relay: circuitRelayServer({
        reservations: { maxReservations, reservationTtl: options.reservationTtlMs ?? RESERVATION_TTL_MS },
        // Signalling streams for many simultaneous WebRTC dials.
        maxInboundHopStreams: 256,
        maxOutboundStopStreams: 256,
      }),
      pubsub: gossipsub({ ...gossipsubOptions(), D: 8, Dlo: 6, Dhi: 16 }),
    },
  })
  const relayNode = node as unknown as Libp2p<{ pubsub: GossipSub; relay: CircuitRelayService }>
  view = relayView(relayNode)
  return new LibpRelay(relayNode, maxReservations, limiter)
}

/** What the reservation gate reads from the relay node. */
function relayView(node: Libp2p<{ relay: CircuitRelayService }>): RelayView {
  return {
    connectionAddrs: (peer) => node.getConnections(peer).map((c) => c.remoteAddr.toString()),
    reservations: () => [...node.services.relay.reservations].map(([peer, r]) => ({ peer: peer.toString(), addr: r.addr.toString() })),
  }
}

class LibpRelay implements Relay {
  private startedAt = 0
  private readonly directory = new Directory()
  private readonly records = new RecordGuard()
  constructor(
    private readonly node: Libp2p<{ pubsub: GossipSub; relay: CircuitRelayService }>,
    private readonly maxReservations: number,
    private readonly limiter: ReservationLimiter,
  ) {}

  get peerId(): string {
    return this.node.peerId.toString()
  }

  get multiaddrs(): string[] {
    return this.node.getMultiaddrs().map((m) => m.toString())
  }

  async start(): Promise<void> {
    const pubsub = this.node.services.pubsub
    // Forward peer records only when sealed by their peer, fresh and within the sender's and the
    // owner's rates, and remember the latest of each peer for the directory.
    pubsub.topicValidators.set(DISCOVERY_TOPIC, async (from, msg) => {
      const verdict = await this.records.check(msg.data, from.toString(), Date.now())
      if (!verdict.ok) return verdict.action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
      this.directory.heard(verdict.record.id, verdict.record, Date.now())
      return TopicValidatorResult.Accept
    })
    this.node.addEventListener('peer:disconnect', (e) => {
      this.directory.forget(e.detail.toString())
      // The library keeps a reservation until it expires even when its holder has gone (a closed
      // tab, a reload with a new peer id); nothing can be relayed to it any more, so free the slot.
      this.node.services.relay.reservations.delete(e.detail)
    })
    await this.node.start() // gossipsub refuses subscriptions before it starts
    pubsub.subscribe(DISCOVERY_TOPIC)
    await handleRequests(this.node, DIRECTORY_PROTOCOL, (_req, from) => encodeDirectory(this.directory.list(from, Date.now())))
    this.startedAt = Date.now()
  }

  async stop(): Promise<void> {
    await this.node.stop()
  }

  metrics(): RelayMetrics {
    const byTransport: Record<string, number> = {}
    const conns = this.node.getConnections()
    for (const c of conns) {
      const t = transportOf(c.remoteAddr.toString())
      byTransport[t] = (byTransport[t] ?? 0) + 1
    }
    return {
      peerId: this.peerId,
      multiaddrs: this.multiaddrs,
      peers: this.node.getPeers().length,
      connections: conns.length,
      byTransport,
      reservations: this.node.services.relay.reservations.size,
      maxReservations: this.maxReservations,
      reservationsDenied: { ...this.limiter.denied },
      discoverySubscribers: this.node.services.pubsub.getSubscribers(DISCOVERY_TOPIC).length,
      directory: this.directory.size,
      uptimeS: this.startedAt === 0 ? 0 : Math.round((Date.now() - this.startedAt) / 1000),
    }
  }
}

async function loadOrCreateKey(keyFile: string | undefined): Promise<PrivateKey> {
  if (keyFile === undefined) return generateKeyPair('Ed25519')
  // Imported lazily by a name bundlers leave alone, so a browser bundle of this folder's index
  // never tries to include node:fs.
  const fsName = 'node:fs/promises'
  const pathName = 'node:path'
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises')
  const path = (await import(/* @vite-ignore */ pathName)) as typeof import('node:path')
  try {
    return privateKeyFromProtobuf(new Uint8Array(await fs.readFile(keyFile)))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new P2PError(`cannot read relay key ${keyFile}: ${(err as Error).message}`, { code: 'bad_key_file', cause: err })
    }
  }
  const key = await generateKeyPair('Ed25519')
  await fs.mkdir(path.dirname(keyFile), { recursive: true })
  await fs.writeFile(keyFile, privateKeyToProtobuf(key), { mode: 0o600 })
  return key
}

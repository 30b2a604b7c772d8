/**
 * An in-memory `Mesh` and a fake `ChainClient`, so the roles get unit tests without libp2p: a hub
 * delivers every published envelope to every other mesh (through the same InboundGuard checks a
 * real mesh runs) and routes direct requests by peer id. Envelopes are really signed and encoded.
 */
import type { ChainClient, ChainInfo, EpochResult, Metagraph, NeuronInfo } from '../../src/chain/index.ts'
import type { Signer } from '../../src/identity/identity.ts'
import { encodeEnvelope, InboundGuard, P2PError, type Envelope, type Mesh, type MeshStats, type MessageKind, type Payloads, type RequestHandler, type RequestOptions, type SignedBytes } from '../../src/p2p/index.ts'

export class MemoryHub {
  readonly meshes = new Map<string, MemoryMesh>()
  private next = 0
  /** A new mesh on this hub for `signer`. */
  join(signer: Signer, netuid = 1): MemoryMesh {
    const mesh = new MemoryMesh(this, signer, netuid, `12D3KooWMemoryPeer${String(this.next++).padStart(8, '0')}`)
    this.meshes.set(mesh.peerId, mesh)
    return mesh
  }
}

export class MemoryMesh implements Mesh {
  readonly multiaddrs: string[] = []
  private readonly handlers = new Map<MessageKind, Set<(e: Envelope, signed: SignedBytes) => void>>()
  private readonly requestHandlers = new Map<string, RequestHandler>()
  private readonly guard: InboundGuard
  private seq = 1
  private published = 0
  private received = 0
  constructor(
    private readonly hub: MemoryHub,
    private readonly signer: Signer,
    private readonly netuid: number,
    readonly peerId: string,
  ) {
    this.guard = new InboundGuard({ netuid })
  }
  get libp2p(): never {
    throw new Error('a memory mesh has no libp2p node')
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.hub.meshes.delete(this.peerId)
  }
  async publish<K extends MessageKind>(kind: K, payload: Payloads[K]): Promise<void> {
    const bytes = encodeEnvelope({ netuid: this.netuid, kind, hotkey: this.signer.address, peerId: this.peerId, seq: this.seq++, timestamp: Date.now(), payload }, this.signer)
    this.published++
    for (const m of this.hub.meshes.values()) if (m !== this) m.deliver(kind, bytes, this.peerId)
  }
  private deliver(kind: MessageKind, bytes: Uint8Array, from: string): void {
    const v = this.guard.check(bytes, kind, from, Date.now())
    if (!v.ok) return
    this.received++
    // The bytes the author signed, as the guard decoded them off the wire (a real mesh does the same).
    for (const h of this.handlers.get(kind) ?? []) h(v.envelope, { body: v.body, signature: v.signature })
  }
  subscribe<K extends MessageKind>(kind: K, handler: (msg: Envelope<K>, signed: SignedBytes) => void): () => void {
    let set = this.handlers.get(kind)
    if (set === undefined) this.handlers.set(kind, (set = new Set()))
    const h = handler as unknown as (e: Envelope, signed: SignedBytes) => void
    set.add(h)
    return () => set.delete(h)
  }
  stats(): MeshStats {
    return { peers: this.hub.meshes.size - 1, byTransport: {}, published: this.published, received: this.received, rejected: { ...this.guard.rejected } }
  }
  onStats(): () => void {
    return () => {}
  }
  async handle(name: string, handler: RequestHandler): Promise<() => Promise<void>> {
    this.requestHandlers.set(name, handler)
    return async () => void this.requestHandlers.delete(name)
  }
  async connect(peerId: string): Promise<void> {
    if (!this.hub.meshes.has(peerId)) throw new P2PError(`no peer ${peerId}`, { code: 'dial_failed' })
  }
  async connectAddr(addr: string): Promise<void> {
    const id = /\/p2p\/([^/]+)$/.exec(addr)?.[1]
    if (id === undefined) throw new P2PError(`${addr} names no peer`, { code: 'bad_address' })
    await this.connect(id)
  }
  async request(peerId: string, name: string, body: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    const handler = this.hub.meshes.get(peerId)?.requestHandlers.get(name)
    if (handler === undefined) throw new P2PError(`no ${name} handler at ${peerId}`, { code: 'request_failed' })
    const timeoutMs = options.timeoutMs ?? 10_000
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new P2PError(`request to ${peerId} timed out`, { code: 'timeout' })), timeoutMs)
    })
    try {
      return await Promise.race([
        Promise.resolve(handler(body, this.peerId)).catch((err: unknown) => {
          throw new P2PError(`request to ${peerId} failed: ${(err as Error).message}`, { code: 'request_failed', cause: err })
        }),
        timeout,
      ])
    } finally {
      clearTimeout(timer)
    }
  }
}

/** A chain whose metagraph the test sets; weights are recorded, epochs are pushed by the test. */
export class FakeChain implements ChainClient {
  readonly weightsSet: { uids: number[]; weights: number[] }[] = []
  private graph: Metagraph | null = null
  private epoch: EpochResult | null = null
  private readonly metagraphHandlers = new Set<(m: Metagraph) => void>()
  private readonly epochHandlers = new Set<(e: EpochResult) => void>()
  /** Sets the neurons (uid = index) and notifies. */
  setNeurons(neurons: Pick<NeuronInfo, 'hotkey' | 'validatorPermit'>[], block = 1): void {
    this.graph = {
      netuid: 1,
      block,
      epoch: 0,
      tempo: 10,
      neurons: neurons.map((n, uid) => ({ uid, hotkey: n.hotkey, stake: '0', registeredAt: 0, validatorPermit: n.validatorPermit, lastUpdate: 0 })),
      chain: { ...FAKE_SESSION, head: 0, headHash: ZERO_HASH },
      blockHash: ZERO_HASH,
      difficulty: '0',
    }
    const graph = this.graph
    for (const h of this.metagraphHandlers) h(graph)
  }
  pushEpoch(e: EpochResult): void {
    this.epoch = e
    for (const h of this.epochHandlers) h(e)
  }
  metagraph(): Metagraph | null {
    return this.graph
  }
  latestEpoch(): EpochResult | null {
    return this.epoch
  }
  onMetagraph(handler: (m: Metagraph) => void): () => void {
    this.metagraphHandlers.add(handler)
    return () => this.metagraphHandlers.delete(handler)
  }
  onEpoch(handler: (e: EpochResult) => void): () => void {
    this.epochHandlers.add(handler)
    return () => this.epochHandlers.delete(handler)
  }
  async setWeights(uids: number[], weights: number[]): Promise<void> {
    this.weightsSet.push({ uids, weights })
  }
  uidOf(hotkey: string): number | undefined {
    return this.graph?.neurons.find((n) => n.hotkey === hotkey)?.uid
  }
  chainInfo(): ChainInfo | null {
    if (this.graph === null) return null
    const { genesis, session, head } = this.graph.chain
    return { genesis, session, head, blockHash: this.graph.blockHash, difficulty: BigInt(this.graph.difficulty) }
  }
}

const ZERO_HASH = `0x${'0'.repeat(64)}`
/** The chain session of every FakeChain (and a default for test epochs). */
export const FAKE_SESSION = { genesis: `0x${'11'.repeat(32)}`, session: 'fake' } as const

import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sdkMetagraph, type ChainClient, type ChainStateSnapshot, type LocalEpochRecord, type SdkNeuron } from '../chain/index.ts'
import { createOwnerNode, memoryLogStore, type LogStore, type OwnerNode } from '../chain/owner-node.ts'
import { SubtensorError, type SubtensorClient } from '../chain/subtensor/index.ts'
import { ensureTestModels, loadModel, type ModelRunner } from '../inference/index.ts'
import { hotkeyFromSecret, loadOrCreateHotkey, type Hotkey } from '../identity/index.ts'
import { fileSecretStore } from '../identity/secret-file.ts'
import { createMinerNode, createValidatorNode, joinSubnet, type MinerNode, type MinerStats, type ValidatorNode } from '../node/index.ts'
import { parseManifest, subnetAuthorize, type SubnetManifest } from '../subnet/index.ts'
import { createMesh, createRelay, ICE_LIMITS, type Mesh, type Relay } from '../p2p/index.ts'
import { peerIdOf, withPeerId } from '../p2p/addrs.ts'
import { runEpoch, type EpochOutput } from '../scoring/index.ts'
import { createAppServer, pageContentSecurityPolicy, type AppServer } from '../server/index.ts'
import { ensureAppBuilt } from './build-app.ts'
import { dialChainPeers, publishPeerOnChain } from './chain-peers.ts'
import type { OwnerFeed } from './owner-feed.ts'
import { CliUsageError, type NetOptions } from './net-options.ts'
import { DIST_DIR, onnxruntimeWebDist } from './paths.ts'
import { turnCredential } from './turn-credentials.ts'

export type Log = (line: string) => void

/** Where the owner keeps its chain log under a state folder; the web server serves it from there. */
export const chainDir = (stateDir: string): string => join(stateDir, 'chain')

export function readManifest(path: string): SubnetManifest {
  return parseManifest(JSON.parse(readFileSync(path, 'utf8')))
}

/** What the server shows of a subtensor subnet it follows (`start --chain`). */
export interface ChainView {
  netuid: number
  /** The node's URL, shown to pages (they read the chain through this server). */
  url: string
  state(): ChainStateSnapshot
  /** The metagraph under the SDK's field names. */
  metagraph(): { netuid: number; block: number | null; neurons: SdkNeuron[] }
  health(): unknown
}

/**
 * A `ChainView` over a subtensor client that reads only: the metagraph and latest stored epoch as
 * they arrive, with each hotkey's published address as its axon (re-read every 30 s).
 */
export function subtensorChainView(client: SubtensorClient, url: string, log: Log): ChainView & { stop(): void } {
  let axons = new Map<string, string>()
  let activityCutoff: number | null = null
  const refreshExtras = async (): Promise<void> => {
    try {
      axons = new Map([...(await client.peers()).peers].map(([hotkey, p]) => [hotkey, p.addrs[0]!]))
    } catch (err) {
      if (!(err instanceof SubtensorError && err.code === 'missing_storage')) log(`chain view: published addresses unreadable: ${String(err)}`)
    }
    activityCutoff = (await client.hyperparams().catch(() => null))?.activityCutoff ?? activityCutoff
  }
  void refreshExtras()
  const timer = setInterval(() => void refreshExtras(), 30_000)
  timer.unref?.()
  return {
    netuid: client.netuid,
    url,
    state: () => ({ kind: 'subtensor', netuid: client.netuid, metagraph: client.metagraph(), epoch: client.latestEpoch() }),
    metagraph() {
      const m = client.metagraph()
      return { netuid: client.netuid, block: m?.block ?? null, neurons: m === null ? [] : sdkMetagraph(m, client.latestEpoch(), { activityCutoff, axons }) }
    },
    health: () => ({ kind: 'subtensor', netuid: client.netuid, block: client.metagraph()?.block ?? null, epoch: client.latestEpoch()?.epoch ?? null }),
    stop: () => clearInterval(timer),
  }
}

/** Something started that must be stopped, in reverse order, on exit. */
export interface Stoppable {
  stop(): Promise<void>
}

export interface RelayStack {
  relay: Relay
  server: AppServer
  /** Relay addresses for Node peers on this host (plain WebSockets; the public ones may be TLS or announced). */
  bootstrap: string[]
}

/**
 * The relay and, beside it, the HTTP server for the app, the model files and onnxruntime-web's
 * wasm. Browsers learn the relay's addresses from `/api/config`. With `owner` (what `start`'s owner
 * process reports), `/api/health` shows chain state. The owner's signed log is served from
 * `<stateDir>/chain` at `/chain/log.jsonl`: pages verify every epoch from it.
 */
export async function startRelayStack(opts: {
  host: string
  port: number
  relayPort: number
  stateDir: string
  modelsDir: string
  manifest: SubnetManifest
  log: Log
  owner?: OwnerFeed
  /** A subtensor subnet this server follows (`start --chain`): served at /api/chain/state and /api/chain/metagraph. */
  chainView?: ChainView
  /** TLS, announced addresses, STUN/TURN (see net-options.ts). */
  net?: NetOptions
}): Promise<RelayStack> {
  const { manifest, log } = opts
  const net: NetOptions = opts.net ?? { announce: [], iceServers: [] }
  const staticIce = [...manifest.network.iceServers, ...net.iceServers]
  // Pages refuse longer lists (parseIceServers): refuse them here, at start, instead.
  if (staticIce.length + (net.turn === undefined ? 0 : 1) > ICE_LIMITS.servers) {
    throw new CliUsageError(`the manifest's network.iceServers, --ice-servers and --turn make more than ${ICE_LIMITS.servers} ICE servers`)
  }
  mkdirSync(chainDir(opts.stateDir), { recursive: true })
  await ensureAppBuilt(log)
  // The relay is where browsers get the subnet's model: make the built-in test models if missing.
  if (manifest.model.source === 'relay') await ensureTestModels(opts.modelsDir)
  const relay = await createRelay({ host: opts.host, port: opts.relayPort, keyFile: join(opts.stateDir, 'relay.key'), ...(net.tls === undefined ? {} : { tls: net.tls }) })
  for (const a of net.announce) {
    const id = peerIdOf(a)
    if (id !== undefined && id !== relay.peerId) throw new CliUsageError(`--announce ${a}: names peer ${id}, but the relay is ${relay.peerId}`)
  }
  await relay.start()
  const isTls = (a: string): boolean => a.includes('/tls/ws') || a.includes('/wss')
  // Browsers get the announced addresses, else the relay's own (only the TLS ones when it has them).
  const publicRelay =
    net.announce.length > 0
      ? net.announce.map((a) => withPeerId(a, relay.peerId))
      : relay.multiaddrs.filter((a) => a.includes('/ws') && (net.tls === undefined || isTls(a)))
  const publicManifest = { ...manifest, owner: { hotkey: manifest.owner.hotkey }, validators: manifest.validators.map(({ hotkey, stake }) => ({ hotkey, stake })) }
  const feed = opts.owner
  const server = createAppServer({
    host: opts.host,
    port: opts.port,
    ...(net.tls === undefined ? {} : { tls: net.tls }),
    mounts: [
      { prefix: '/', dir: DIST_DIR, spa: true },
      { prefix: '/models/', dir: opts.modelsDir, cacheControl: 'public, max-age=3600' },
      { prefix: '/ort/', dir: onnxruntimeWebDist(), allow: /ort-wasm[^/]*\.(wasm|mjs)$/, cacheControl: 'public, max-age=86400' },
      // The owner's signed chain log, read by pages and `webtensor verify` (Range: only what is new).
      { prefix: '/chain/', dir: chainDir(opts.stateDir), allow: /[\\/]log\.jsonl$/, cacheControl: 'no-cache' },
    ],
    // The miner widget runs on other sites' pages: its script and workers (module scripts, fetched
    // with CORS), the model, the wasm, the config and the signed log are read from there.
    crossOrigin: ['/widget.js', '/widget/', '/models/', '/ort/', '/api/config', '/api/chain/state', '/chain/'],
    contentSecurityPolicy: pageContentSecurityPolicy({ connect: modelOrigins(manifest) }),
    api: {
      '/api/config': {
        get: () => ({
          netuid: manifest.netuid,
          relay: publicRelay,
          // Minted per request when TURN is configured: each page gets its own short-lived credential.
          iceServers: net.turn === undefined ? staticIce : [...staticIce, { urls: net.turn.urls, ...turnCredential(net.turn.secret, net.turn.ttlS) }],
          manifest: publicManifest,
          models: { localModelPath: '/models/', wasmPaths: '/ort/' },
          // Pages mine on the chain this server follows instead of an owner's gossip.
          ...(opts.chainView === undefined ? {} : { chain: { kind: 'subtensor', netuid: opts.chainView.netuid, url: opts.chainView.url, state: '/api/chain/state' } }),
        }),
        ...(net.turn === undefined ? { ttlMs: 10_000 } : {}),
      },
      '/api/health': { get: () => ({ ok: true, relay: relay.metrics(), chain: feed?.stats ?? opts.chainView?.health() ?? null }), ttlMs: 1000 },
      ...(opts.chainView === undefined
        ? {}
        : {
            '/api/chain/state': { get: () => opts.chainView!.state(), ttlMs: 1000 },
            '/api/chain/metagraph': { get: () => opts.chainView!.metagraph(), ttlMs: 1000 },
          }),
    },
  })
  const stack: RelayStack = { relay, server, bootstrap: relay.multiaddrs.filter((a) => !isTls(a)) }
  await stack.server.start()
  log(`relay listening on ${relay.multiaddrs.join(' ')}`)
  return stack
}

/**
 * Where a page downloads the model from when this server does not serve it (`source: "hub"`):
 * the hub's origin, plus, for huggingface.co, the CDN hosts its downloads redirect to.
 */
function modelOrigins(manifest: SubnetManifest): string[] {
  if (manifest.model.source !== 'hub' || manifest.model.remoteHost === undefined) return []
  let origin: string
  try {
    origin = new URL(manifest.model.remoteHost).origin
  } catch {
    return []
  }
  return origin === 'https://huggingface.co' ? [origin, 'https://*.huggingface.co', 'https://*.hf.co'] : [origin]
}

/** The subnet owner/registrar with the local chain, on its own mesh peer. */
export async function startOwner(opts: {
  manifest: SubnetManifest
  bootstrap: string[]
  host: string
  log: Log
  /** Where the chain log lives; default in memory (a test subnet that forgets on exit). */
  store?: LogStore
  /** `manual`: blocks advance only through `owner.tick()` (tests). */
  clock?: 'timer' | 'manual'
  /** A forging owner (simulator only): see `OwnerNodeOptions.forge`. */
  forge?: (record: LocalEpochRecord<EpochOutput>) => EpochOutput | null
}): Promise<{ owner: OwnerNode<EpochOutput>; mesh: Mesh; hotkey: Hotkey }> {
  const { manifest, log } = opts
  if (manifest.owner.devSecret === undefined) throw new Error('the manifest has no owner devSecret: only a local subnet can run its own owner')
  const hotkey = await hotkeyFromSecret(manifest.owner.devSecret)
  // Chain state from anyone else is refused at the door; weights are checked by the chain itself.
  const mesh = await createMesh({ netuid: manifest.netuid, signer: hotkey, bootstrap: opts.bootstrap, listen: [`/ip4/${opts.host}/tcp/0/ws`], authorize: subnetAuthorize(manifest.owner.hotkey, () => undefined) })
  await mesh.start()
  // The chain itself runs Yuma exactly as subtensor does.
  const owner = createOwnerNode({
    manifest,
    mesh,
    signer: hotkey,
    runEpoch: (input) => runEpoch(input as never, { mode: 'exact' }),
    store: opts.store ?? memoryLogStore(),
    log,
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    ...(opts.forge === undefined ? {} : { forge: opts.forge }),
  })
  await owner.start()
  return { owner, mesh, hotkey }
}

/** Loads the subnet's model for a Node validator or miner (onnxruntime-node). */
export async function loadNodeRunner(manifest: SubnetManifest, modelsDir: string, log: Log): Promise<ModelRunner> {
  if (manifest.model.source === 'relay') await ensureTestModels(modelsDir)
  const started = Date.now()
  const runner = await loadModel({
    modelId: manifest.model.id,
    localModelPath: modelsDir,
    allowRemote: manifest.model.source === 'hub',
    ...(manifest.model.remoteHost === undefined ? {} : { remoteHost: manifest.model.remoteHost }),
    ...(manifest.model.integrity === null ? {} : { integrity: manifest.model.integrity }),
    dtype: manifest.model.dtype,
    device: 'cpu',
  })
  log(`model ${manifest.model.id} (${manifest.model.dtype}) loaded on ${runner.device} in ${Date.now() - started} ms`)
  return runner
}

/** Direct links a Node validator keeps (inbound up to twice this): one per miner it queries. */
export const VALIDATOR_LINKS = 128

/**
 * A Node validator on its own mesh peer. On subtensor it also dials the miners that published
 * their address on chain (`chainPeers`; stop it before the mesh).
 */
export async function startValidator(opts: { manifest: SubnetManifest; secret: string; bootstrap: string[]; host: string; modelsDir: string; log: Log; subtensor?: SubtensorTarget }): Promise<{ validator: ValidatorNode; mesh: Mesh; runner: ModelRunner; hotkey: Hotkey; chain: ChainClient & { close?: () => Promise<void> }; chainPeers: Stoppable }> {
  const { manifest, log } = opts
  const hotkey = await hotkeyFromSecret(opts.secret)
  const subtensor = opts.subtensor === undefined ? undefined : await connectChain(opts.subtensor, hotkey, log)
  const runner = await loadNodeRunner(manifest, opts.modelsDir, log)
  // A validator is a server: every miner links to it, so it takes far more links than a peer.
  const { mesh, chain } = await joinSubnet({ manifest, signer: hotkey, bootstrap: opts.bootstrap, listen: [`/ip4/${opts.host}/tcp/0/ws`], targetConnections: VALIDATOR_LINKS, ...(subtensor === undefined ? {} : { chain: subtensor }) })
  const validator = createValidatorNode({ manifest, mesh, chain, runner, signer: hotkey, log })
  await validator.start()
  const dialer = subtensor === undefined ? undefined : dialChainPeers({ client: subtensor, mesh, hotkey: hotkey.address, log })
  return { validator, mesh, runner, hotkey, chain: subtensor ?? chain, chainPeers: { stop: async () => dialer?.stop() } }
}

/** A subtensor node and subnet to follow instead of the embedded chain (`--chain ws://… --netuid N`). */
export interface SubtensorTarget {
  url: string
  netuid: number
}

/** Connects the subtensor client (loads @polkadot/api only now) with `hotkey` signing weights. */
async function connectChain(target: SubtensorTarget, hotkey: Hotkey, log: Log): Promise<SubtensorClient> {
  const { connectSubtensor } = await import('../chain/subtensor/index.ts')
  return connectSubtensor({ url: target.url, netuid: target.netuid, signer: hotkey, log })
}

/**
 * A headless Node miner (onnxruntime-node) with a hotkey kept in `stateDir`. On subtensor it
 * publishes its peer id and direct addresses in the Commitments pallet once it holds a uid. `onUpdate` follows
 * its stats from before it starts, so the registration's first progress reports are not missed.
 */
export async function startNodeMiner(opts: {
  manifest: SubnetManifest
  secret?: string
  stateDir: string
  bootstrap: string[]
  host: string
  modelsDir: string
  log: Log
  onUpdate?: (stats: MinerStats) => void
  /** Follow this subtensor subnet; the hotkey must be registered there already (burned_register). */
  subtensor?: SubtensorTarget
}): Promise<{ miner: MinerNode; mesh: Mesh; runner: ModelRunner; hotkey: Hotkey; chain: ChainClient & { close?: () => Promise<void> }; chainPeers: Stoppable }> {
  const { manifest, log } = opts
  const hotkey = opts.secret !== undefined ? await hotkeyFromSecret(opts.secret) : await loadOrCreateHotkey(fileSecretStore(opts.stateDir), 'miner.hotkey')
  const subtensor = opts.subtensor === undefined ? undefined : await connectChain(opts.subtensor, hotkey, log)
  if (subtensor !== undefined && subtensor.uidOf(hotkey.address) === undefined) log(`miner: ${hotkey.address} has no uid on subnet ${subtensor.netuid} yet; register it (burned_register, signed by its coldkey) and it starts serving when the chain shows it`)
  const runner = await loadNodeRunner(manifest, opts.modelsDir, log)
  const { mesh, chain } = await joinSubnet({ manifest, signer: hotkey, bootstrap: opts.bootstrap, listen: [`/ip4/${opts.host}/tcp/0/ws`], ...(subtensor === undefined ? {} : { chain: subtensor }) })
  const miner = createMinerNode({ manifest, mesh, chain, runner, signer: hotkey, agent: 'webtensor-node', log, ...(subtensor === undefined ? {} : { registration: 'external' as const }) })
  if (opts.onUpdate !== undefined) miner.onUpdate(opts.onUpdate)
  await miner.start()
  // On subtensor: say on chain where validators reach this miner (once it holds a uid).
  const publisher = subtensor === undefined ? undefined : publishPeerOnChain({ client: subtensor, mesh, hotkey: hotkey.address, bootstrap: opts.bootstrap, log })
  return { miner, mesh, runner, hotkey, chain: subtensor ?? chain, chainPeers: { stop: async () => publisher?.() } }
}

/**
 * The relay's multiaddrs for `--relay`: a multiaddr is used as is; an http(s) URL of a webtensor
 * server is asked for its `/api/config`.
 */
export async function resolveBootstrap(relay: string): Promise<string[]> {
  if (relay.startsWith('/')) return [relay]
  const res = await fetch(new URL('/api/config', relay))
  if (!res.ok) throw new Error(`${relay}/api/config answered ${res.status}`)
  const config = (await res.json()) as { relay: string[] }
  return config.relay
}

/**
 * Spreading an exact simulation over processes (`webtensor simulate --serve` / `--join URL
 * --shard i/k`): which peers a shard runs, and the messages a worker and the coordinator trade.
 * A worker's report is hostile input to the coordinator: `parseWorkerReport` checks every field,
 * and bounds every list, before anything reads it. Pure.
 */
import { WebtensorError } from '../errors.ts'

/** The environment variable a worker (and optionally the coordinator) reads the join token from. */
export const JOIN_TOKEN_ENV = 'WEBTENSOR_JOIN_TOKEN'

/** Most shards a simulation is split into. */
export const MAX_SHARDS = 64

/** Largest worker report the coordinator reads (bytes). */
export const MAX_REPORT_BYTES = 1 << 20

/** Most epoch digests a peer reports (the newest are kept). */
export const MAX_DIGESTS_PER_PEER = 4096

/** Most uids in one validator's latency table. */
export const MAX_LATENCY_ENTRIES = 4096

/** A worker's report or a coordinator's reply that is malformed, too large or not for this simulation. */
export class ShardError extends WebtensorError {
  override name = 'ShardError'
}

/** Shard `index` of `count` (0-based): it runs cast peers index, index + count, index + 2·count, … */
export interface Shard {
  index: number
  count: number
}

/**
 * Reads `i/k` (0 ≤ i < k ≤ MAX_SHARDS).
 * @example parseShard('1/2') // { index: 1, count: 2 }
 */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,3})\/(\d{1,3})$/.exec(text)
  const index = m === null ? NaN : Number(m[1])
  const count = m === null ? NaN : Number(m[2])
  if (!(count >= 1 && count <= MAX_SHARDS && index >= 0 && index < count)) {
    throw new ShardError(`--shard must be i/k with 0 ≤ i < k ≤ ${MAX_SHARDS}, got ${text}`, { code: 'bad_shard' })
  }
  return { index, count }
}

/**
 * The shard that runs cast peer `peer`: every k-th peer from the i-th, in cast order, so each
 * behaviour group is spread over the shards and a rerun places the same peers on the same shards.
 * @example shardOfPeer(5, 2) // 1
 */
export const shardOfPeer = (peer: number, count: number): number => peer % count

/** The cast peers (indices) shard `shard` runs, of a cast of `castSize`. */
export function shardPeers(castSize: number, shard: Shard): number[] {
  const out: number[] = []
  for (let p = shard.index; p < castSize; p += shard.count) out.push(p)
  return out
}

/** One peer as a worker sees it. */
export interface PeerReport {
  peer: number
  alive: boolean
  /** Epoch number → the digest this peer received for it. */
  digests: [number, string][]
}

/** One honest validator's counters so far (cumulative), and its latest latency per miner uid. */
export interface ValidatorReport {
  peer: number
  sent: number
  verified: number
  latency: [number, number][]
}

/** A miner a query flooder can aim at. */
export interface MinerAddress {
  peer: number
  peerId: string
  addr: string
  hotkey: string
}

/** What a worker sends the coordinator, about every half second. */
export interface WorkerReport {
  /** The scenario's fingerprint: both sides must run the same scenario. */
  fingerprint: string
  shard: Shard
  /** Increases with every report. */
  seq: number
  peers: PeerReport[]
  validators: ValidatorReport[]
  miners: MinerAddress[]
  /** A fatal error on the worker (it stops after sending it). */
  error?: string
}

/** The coordinator's phases, as workers see them. */
export type CoordinatorPhase = 'starting' | 'running' | 'done'

/** The coordinator's answer to a report. */
export interface CoordinatorReply {
  phase: CoordinatorPhase
  /** The relay's multiaddrs for Node peers. */
  relay: string[]
  /** The peers of this shard that should be running now (a kill fault leaves some out). */
  alive: number[]
  /** Every miner of every shard (for a query flooder), once all are registered. */
  miners: MinerAddress[]
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const HEX64 = /^(0x)?[0-9a-f]{64}$/
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{32,64}$/
const SS58 = /^[1-9A-HJ-NP-Za-km-z]{40,56}$/

function bad(message: string): never {
  throw new ShardError(`worker report: ${message}`, { code: 'bad_report' })
}

function only(v: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const k of Object.keys(v)) if (!keys.includes(k)) bad(`${where} has an unknown field ${JSON.stringify(k.slice(0, 40))}`)
}

function list(v: unknown, max: number, where: string): unknown[] {
  if (!Array.isArray(v)) bad(`${where} must be a list`)
  if (v.length > max) bad(`${where} has ${v.length} entries, at most ${max}`)
  return v
}

/**
 * Checks a worker's report against the simulation it claims to be part of: the fingerprint, a
 * shard of `shards` that is not `ownShard` (the coordinator's own), only that shard's peers
 * (each once), validators among `validatorPeers`, bounded lists, finite counters.
 * Throws `ShardError` naming the first bad field.
 */
export function parseWorkerReport(json: unknown, expect: { fingerprint: string; shards: number; ownShard: number | null; castSize: number; validatorPeers: ReadonlySet<number>; minerPeers: ReadonlySet<number> }): WorkerReport {
  if (!isObject(json)) bad('not an object')
  only(json, ['fingerprint', 'shard', 'seq', 'peers', 'validators', 'miners', 'error'], 'the report')
  if (json.fingerprint !== expect.fingerprint) bad('it runs another scenario (fingerprints differ): start the worker with the same scenario file and flags')
  if (!isObject(json.shard)) bad('shard must be an object')
  only(json.shard, ['index', 'count'], 'shard')
  const { index, count } = json.shard
  if (count !== expect.shards) bad(`shard count ${String(count)}, but this simulation has ${expect.shards} shards`)
  if (!isCount(index) || index >= expect.shards) bad(`shard index must be in 0..${expect.shards - 1}`)
  if (index === expect.ownShard) bad(`shard ${index} is the coordinator's own`)
  if (!isCount(json.seq)) bad('seq must be a non-negative integer')
  const mine = new Set(shardPeers(expect.castSize, { index, count }))
  const seen = new Set<number>()
  const peerIndex = (v: unknown, where: string): number => {
    if (!isCount(v) || !mine.has(v)) bad(`${where} is not a peer of shard ${index}/${count}`)
    return v
  }
  const peers: PeerReport[] = list(json.peers, mine.size, 'peers').map((p, i) => {
    if (!isObject(p)) bad(`peers[${i}] must be an object`)
    only(p, ['peer', 'alive', 'digests'], `peers[${i}]`)
    const peer = peerIndex(p.peer, `peers[${i}].peer`)
    if (seen.has(peer)) bad(`peers[${i}]: peer ${peer} twice`)
    seen.add(peer)
    if (typeof p.alive !== 'boolean') bad(`peers[${i}].alive must be true or false`)
    const digests = list(p.digests, MAX_DIGESTS_PER_PEER, `peers[${i}].digests`).map((d, j): [number, string] => {
      if (!Array.isArray(d) || d.length !== 2 || !isCount(d[0]) || typeof d[1] !== 'string' || !HEX64.test(d[1])) bad(`peers[${i}].digests[${j}] must be [epoch, 32-byte hex digest]`)
      return [d[0], d[1]]
    })
    return { peer, alive: p.alive, digests }
  })
  const validators: ValidatorReport[] = list(json.validators, mine.size, 'validators').map((v, i) => {
    if (!isObject(v)) bad(`validators[${i}] must be an object`)
    only(v, ['peer', 'sent', 'verified', 'latency'], `validators[${i}]`)
    const peer = peerIndex(v.peer, `validators[${i}].peer`)
    if (!expect.validatorPeers.has(peer)) bad(`validators[${i}]: peer ${peer} is not an honest validator`)
    if (!isCount(v.sent) || !isCount(v.verified) || v.verified > v.sent) bad(`validators[${i}]: sent and verified must be counts, verified ≤ sent`)
    const latency = list(v.latency, MAX_LATENCY_ENTRIES, `validators[${i}].latency`).map((e, j): [number, number] => {
      if (!Array.isArray(e) || e.length !== 2 || !isCount(e[0]) || typeof e[1] !== 'number' || !Number.isFinite(e[1]) || e[1] < 0 || e[1] > 3_600_000) bad(`validators[${i}].latency[${j}] must be [uid, milliseconds]`)
      return [e[0], e[1]]
    })
    return { peer, sent: v.sent, verified: v.verified, latency }
  })
  const miners: MinerAddress[] = list(json.miners, mine.size, 'miners').map((m, i) => {
    if (!isObject(m)) bad(`miners[${i}] must be an object`)
    only(m, ['peer', 'peerId', 'addr', 'hotkey'], `miners[${i}]`)
    const peer = peerIndex(m.peer, `miners[${i}].peer`)
    if (!expect.minerPeers.has(peer)) bad(`miners[${i}]: peer ${peer} is not a miner`)
    if (typeof m.peerId !== 'string' || !PEER_ID.test(m.peerId)) bad(`miners[${i}].peerId must be a peer id`)
    if (typeof m.addr !== 'string' || m.addr.length > 512 || !m.addr.startsWith('/')) bad(`miners[${i}].addr must be a multiaddr`)
    if (typeof m.hotkey !== 'string' || !SS58.test(m.hotkey)) bad(`miners[${i}].hotkey must be an SS58 address`)
    return { peer, peerId: m.peerId, addr: m.addr, hotkey: m.hotkey }
  })
  let error: string | undefined
  if (json.error !== undefined) {
    if (typeof json.error !== 'string') bad('error must be a string')
    error = json.error.slice(0, 500)
  }
  return { fingerprint: json.fingerprint, shard: { index, count }, seq: json.seq, peers, validators, miners, ...(error === undefined ? {} : { error }) }
}

/** Checks the coordinator's reply (the worker trusts only the URL it was given, and still checks the shape). */
export function parseCoordinatorReply(json: unknown): CoordinatorReply {
  const fail = (m: string): never => {
    throw new ShardError(`coordinator reply: ${m}`, { code: 'bad_reply' })
  }
  if (!isObject(json)) return fail('not an object')
  if (json.phase !== 'starting' && json.phase !== 'running' && json.phase !== 'done') return fail('bad phase')
  if (!Array.isArray(json.relay) || json.relay.length > 16 || !json.relay.every((a) => typeof a === 'string' && a.startsWith('/') && a.length <= 512)) return fail('relay must be a list of multiaddrs')
  if (!Array.isArray(json.alive) || !json.alive.every(isCount)) return fail('alive must be a list of peer indices')
  if (!Array.isArray(json.miners) || json.miners.length > 4096) return fail('miners must be a list')
  const miners = json.miners.map((m: unknown): MinerAddress => {
    if (!isObject(m) || !isCount(m.peer) || typeof m.peerId !== 'string' || !PEER_ID.test(m.peerId) || typeof m.addr !== 'string' || !m.addr.startsWith('/') || typeof m.hotkey !== 'string' || !SS58.test(m.hotkey)) return fail('a bad miner address')
    return { peer: m.peer, peerId: m.peerId, addr: m.addr, hotkey: m.hotkey }
  })
  return { phase: json.phase, relay: json.relay as string[], alive: json.alive as number[], miners }
}

/**
 * What both sides must agree on before they run one simulation: the parsed scenario (cast, seed,
 * epochs, manifest, faults, expectations) as canonical JSON — hashed by the caller.
 */
export function scenarioCanonical(scenario: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon)
    if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]))
    return v
  }
  return JSON.stringify(canon(scenario))
}

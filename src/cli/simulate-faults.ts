/**
 * Exact mode's network faults, for the coordinator (simulate-serve.ts): `restart-relay` stops the
 * relay (its listener closes, every peer's link to it drops) and starts it again on the same
 * address with the same key, so the peers' bootstrap address stays valid and their dialers
 * reconnect (with the bootstrap back-off, dialer.ts). `partition` splits the peers round-robin
 * into groups (the owner in group 0, as math mode does): each peer's mesh refuses to dial or
 * accept a peer of another group (its connection gater asks `denyFor`), and the links that cross
 * groups are closed when it starts; healing lifts the refusal and the dialers link up again. The
 * relay carries no subnet gossip (only discovery), so it is no bridge.
 */
import { join } from 'node:path'
import { createRelay, type Mesh, type Relay } from '../p2p/index.ts'
import type { RunSeries } from '../simulate/run.ts'
import type { Scenario } from '../simulate/scenario.ts'
import type { Shard } from '../simulate/shard.ts'

/** The faults the coordinator runs (`kill` itself, the others here). */
export const SERVE_FAULTS: ReadonlySet<string> = new Set(['kill', 'restart-relay', 'partition'])

/** Why the coordinator cannot run this scenario's faults with this sharding (empty when it can). */
export function faultGaps(scenario: Scenario, shard: Shard): string[] {
  if (!scenario.faults.some((f) => f.kind === 'partition')) return []
  const gaps: string[] = []
  if (shard.count > 1) gaps.push('a partition over several shards (run it with the whole cast in one process, --shard 0/1)')
  if (scenario.cast.some((g) => g.behaviour === 'query-flooder' && g.count > 0)) gaps.push('a partition with a query flooder (its mesh is outside the partition and would bridge it)')
  return gaps
}

/** The network split: which group each cast peer (and the owner, group 0) is in, and each mesh's gate. */
export interface Partition {
  /** The gate for cast peer `peer`'s mesh (pass it as `denyPeer`). */
  denyFor(peer: number): (peerId: string) => boolean
  /** Tracks a started mesh of cast peer `peer` (-1: the owner); returns the function that forgets it. */
  attach(peer: number, mesh: Mesh): () => void
  /** Splits into `groups` (null: heals); closes the links that now cross groups; resolves to how many. */
  set(groups: number | null): Promise<number>
  groups(): number | null
}

export function createPartition(): Partition {
  let groups: number | null = null
  const who = new Map<string, number>() // peer id → cast peer (-1: the owner)
  const meshes = new Map<Mesh, number>()
  const groupOf = (peer: number): number => (groups === null || peer < 0 ? 0 : peer % groups)
  const apart = (a: number, b: number): boolean => groups !== null && groupOf(a) !== groupOf(b)
  return {
    denyFor: (peer) => (peerId) => {
      const other = who.get(peerId)
      return other !== undefined && apart(peer, other)
    },
    attach(peer, mesh) {
      who.set(mesh.peerId, peer)
      meshes.set(mesh, peer)
      return () => {
        who.delete(mesh.peerId)
        meshes.delete(mesh)
      }
    },
    async set(next) {
      groups = next
      let closed = 0
      for (const [mesh, peer] of meshes) {
        for (const conn of mesh.libp2p.getConnections()) {
          const other = who.get(conn.remotePeer.toString())
          if (other === undefined || !apart(peer, other)) continue
          closed++
          await conn.close().catch(() => conn.abort(new Error('partitioned')))
        }
      }
      return closed
    },
    groups: () => groups,
  }
}

/** The partition change due at this run epoch: a number of groups, null to heal, undefined for none. */
export function partitionAt(scenario: Scenario, epoch: number): number | null | undefined {
  let change: number | null | undefined
  for (const f of scenario.faults) {
    if (f.kind !== 'partition') continue
    if (f.atEpoch + f.forEpochs === epoch) change = change ?? null
    if (f.atEpoch === epoch) change = f.groups
  }
  return change
}

/** The relay's TCP port, from its first plain WebSockets address. */
function relayPort(relay: Relay): number {
  const a = relay.multiaddrs.find((x) => x.includes('/ws') && !x.includes('/tls/'))
  if (a === undefined) throw new Error('the relay has no plain WebSockets address')
  const port = /\/tcp\/(\d+)\//.exec(a)?.[1]
  if (port === undefined) throw new Error(`no TCP port in the relay address ${a}`)
  return Number(port)
}

/**
 * Holds the coordinator's relay across restarts. `restart()` stops it, waits `downMs`, and starts a
 * new one on the same host and port with the same key file (so the same peer id and address).
 */
export function relayHolder(first: Relay, opts: { host: string; stateDir: string }): { current(): Relay; restart(downMs: number): Promise<{ downMs: number }>; stop(): Promise<void> } {
  let relay = first
  const port = relayPort(first)
  return {
    current: () => relay,
    async restart(downMs) {
      const started = performance.now()
      await relay.stop()
      await new Promise((r) => setTimeout(r, downMs))
      const next = await createRelay({ host: opts.host, port, keyFile: join(opts.stateDir, 'relay.key') })
      await next.start()
      if (next.peerId !== first.peerId) throw new Error(`the restarted relay is ${next.peerId}, not ${first.peerId}`)
      relay = next
      return { downMs: performance.now() - started }
    },
    stop: () => relay.stop(),
  }
}

/** The `restart-relay` faults due at this run epoch. */
export const relayRestartsAt = (scenario: Scenario, epoch: number): number => scenario.faults.filter((f) => f.kind === 'restart-relay' && f.atEpoch === epoch).length

/** What the report says of how exact mode ran this scenario's faults and adversaries. */
export function faultNotes(scenario: Scenario, sybilAttempts: number, series: RunSeries): string[] {
  const notes: string[] = []
  const mean = (xs: number[]): string => (xs.length === 0 ? '—' : (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3))
  for (const f of scenario.faults) {
    if (f.kind !== 'partition') continue
    const during = (series.delivery ?? []).filter((_, e) => e >= f.atEpoch && e < f.atEpoch + f.forEpochs)
    const outside = (series.delivery ?? []).filter((_, e) => e < f.atEpoch || e >= f.atEpoch + f.forEpochs)
    notes.push(`partition at epoch ${f.atEpoch + 1} into ${f.groups} groups for ${f.forEpochs} epoch(s): peers round-robin by cast index, the owner in group 0; each peer's mesh refused links across groups and the crossing links were closed, then lifted. Share of queries answered: ${mean(during)} during it, ${mean(outside)} outside it.`)
  }
  if (scenario.faults.some((f) => f.kind === 'restart-relay')) notes.push('restart-relay: the coordinator stopped the relay at the epoch\'s start and started it again 0.5 s later on the same address with the same key; peers reconnected on their own (their links to each other stayed up).')
  if (scenario.cast.some((g) => g.behaviour === 'sybil-flood' && g.count > 0)) notes.push(`sybil-flood: ${sybilAttempts} registrations started by proof of work (real solves at the chain's difficulty, submitted over gossip, solved again until they land); the chain's per-block and per-interval limits and its pruning rule decided which landed. The identities run on the coordinator and answer no query.`)
  if (scenario.cast.some((g) => g.behaviour === 'owner-forges-epoch' && g.count > 0)) notes.push('owner-forges-epoch: the owner logged, signed and gossiped a forged result once (the top incentive moved to its own uid); Node peers take the owner\'s epoch gossip as it comes, so the check is the log verifier that pages and `webtensor verify` run. The figures are the real epoch\'s.')
  return notes
}

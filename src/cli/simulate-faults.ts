/**
 * Exact mode's network faults, for the coordinator (simulate-serve.ts): `restart-relay` stops the
 * relay (its listener closes, every peer's link to it drops) and starts it again on the same
 * address with the same key, so the peers' bootstrap address stays valid and their dialers
 * reconnect (with the bootstrap back-off, dialer.ts).
 */
import { join } from 'node:path'
import { createRelay, type Relay } from '../p2p/index.ts'
import type { Scenario } from '../simulate/scenario.ts'

/** The faults the coordinator runs besides `kill` (which it runs itself). */
export const SERVE_FAULTS: ReadonlySet<string> = new Set(['kill', 'restart-relay'])

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
export function faultNotes(scenario: Scenario, sybilAttempts: number): string[] {
  const notes: string[] = []
  if (scenario.faults.some((f) => f.kind === 'restart-relay')) notes.push('restart-relay: the coordinator stopped the relay at the epoch\'s start and started it again 0.5 s later on the same address with the same key; peers reconnected on their own (their links to each other stayed up).')
  if (scenario.cast.some((g) => g.behaviour === 'sybil-flood' && g.count > 0)) notes.push(`sybil-flood: ${sybilAttempts} registration attempts by proof of work (each a real solve at the chain's difficulty, submitted over gossip); the chain's per-block and per-interval limits and its pruning rule decided which landed. The identities run on the coordinator and answer no query.`)
  if (scenario.cast.some((g) => g.behaviour === 'owner-forges-epoch' && g.count > 0)) notes.push('owner-forges-epoch: the owner logged, signed and gossiped a forged result once (the top incentive moved to its own uid); Node peers take the owner\'s epoch gossip as it comes, so the check is the log verifier that pages and `webtensor verify` run. The figures are the real epoch\'s.')
  return notes
}

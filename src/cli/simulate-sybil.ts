/**
 * The `sybil-flood` behaviour in exact mode: identities that really register by proof of work
 * against the owner's local chain — each its own mesh peer and hotkey, solving seals for the
 * chain's newest block at its current difficulty, so the chain's own limits (per block, per
 * interval, the difficulty adjustment) and its pruning rule decide what lands — and that answer
 * nothing (no query handler: a validator's query to one fails). The coordinator runs them
 * (they are outside the shards), and a pruned identity registers again.
 */
import { createInlineSolver } from '../chain/index.ts'
import { joinSubnet, registerOverMesh } from '../node/index.ts'
import type { Scenario } from '../simulate/scenario.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'
import type { CastMember } from './simulate-cast.ts'
import type { Partition } from './simulate-faults.ts'
import type { Log } from './stack.ts'

/** Cast members the shards do not run (the coordinator runs Sybils itself; query flooders start apart). */
export const isSybil = (c: { behaviour: string }): boolean => c.behaviour === 'sybil-flood'

export interface SybilFlood {
  /** Registration attempts started so far (each a full PoW solve and submission). */
  attempts(): number
  /** Starts this epoch's registrations (each group: at most `perEpoch` new attempts, by identities holding no uid and not trying already). */
  epoch(epoch: number): void
  stop(): Promise<void>
}

/**
 * Starts the scenario's Sybil identities (idle until `epoch(e)` reaches their group's `fromEpoch`).
 * Each epoch a group lets up to `perEpoch` of its idle unregistered identities start registering by
 * PoW, which goes on until it lands; when is the chain's call (its limits per block and interval,
 * its difficulty). A pruned identity is idle again.
 */
export async function startSybilFlood(opts: { scenario: Scenario; cast: readonly CastMember[]; manifest: SubnetManifest; bootstrap: string[]; host: string; log: Log; partition?: Partition }): Promise<SybilFlood> {
  const { scenario, manifest, log } = opts
  const sybils = opts.cast.filter(isSybil)
  const solver = createInlineSolver()
  const aborts = new AbortController()
  const parts: (() => Promise<unknown>)[] = []
  const ids: { c: CastMember; registered: () => boolean; register: (signal: AbortSignal) => Promise<void>; busy: boolean }[] = []
  let attempts = 0
  for (const c of sybils) {
    const { mesh, chain } = await joinSubnet({ manifest, signer: c.hotkey, bootstrap: opts.bootstrap, listen: [`/ip4/${opts.host}/tcp/0/ws`], ...(opts.partition === undefined ? {} : { denyPeer: opts.partition.denyFor(c.peer) }) })
    const detach = opts.partition?.attach(c.peer, mesh)
    parts.push(() => mesh.stop(), async () => detach?.())
    const registered = (): boolean => chain.uidOf(c.hotkey.address) !== undefined
    const id = {
      c,
      registered,
      busy: false,
      register: (signal: AbortSignal) =>
        registerOverMesh({
          chain,
          mesh,
          hotkey: c.hotkey.address,
          hotkeyPublicKey: c.hotkey.publicKey,
          solve: solver,
          signal,
        }),
    }
    ids.push(id)
  }
  return {
    attempts: () => attempts,
    epoch(epoch) {
      for (const [group, g] of scenario.cast.entries()) {
        if (g.behaviour !== 'sybil-flood' || epoch < g.fromEpoch!) continue
        const free = ids.filter((i) => i.c.group === group && !i.busy && !i.registered())
        for (const i of free.slice(0, g.perEpoch!)) {
          i.busy = true
          attempts++
          // registerByPow solves again until it lands (a stale seal, a full block or interval, a
          // raised difficulty: it solves anew); the group starts at most `perEpoch` a epoch.
          i.register(aborts.signal)
            .catch((err: unknown) => {
              if (!aborts.signal.aborted) log(`simulate: sybil ${i.c.peer} registration failed: ${String(err)}`)
            })
            .finally(() => {
              i.busy = false
            })
        }
      }
    },
    async stop() {
      aborts.abort()
      for (const p of parts.splice(0).reverse()) await p().catch(() => {})
    },
  }
}

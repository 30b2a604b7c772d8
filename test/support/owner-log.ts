/**
 * A small subnet on a memory hub whose owner writes a real signed log: two miners register by
 * proof of work, a validator sets weights every 4 blocks, epochs run every tempo. For tests of
 * log readers (the page's verifier and follower).
 */
import type { Hotkey } from '../../src/identity/index.ts'
import { createOwnerNode, memoryLogStore, type OwnerNode } from '../../src/chain/owner-node.ts'
import { logLine, type LogEntry } from '../../src/chain/log.ts'
import type { LocalEpochInput } from '../../src/chain/local-chain.ts'
import { runEpoch, type EpochInput, type EpochOutput } from '../../src/scoring/index.ts'
import { MemoryHub } from './memory-mesh.ts'
import { devKey, registerPayload, testManifest } from './chain-calls.ts'

export const exactEpoch = (input: LocalEpochInput): EpochOutput => runEpoch(input as EpochInput, { mode: 'exact' })

export interface OwnerLog {
  hub: MemoryHub
  owner: OwnerNode<EpochOutput>
  ownerKey: Hotkey
  validatorKey: Hotkey
  miners: Hotkey[]
  manifest: ReturnType<typeof testManifest>
  entries: LogEntry[]
  /** The log file's text (JSON Lines). */
  text(): string
  /** Ticks blocks `from` .. `to - 1`: registrations, weights, epochs. */
  drive(from: number, to: number): Promise<void>
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r))

/** Starts the subnet and drives it for `blocks` blocks. */
export async function ownerLog(blocks: number, seed = 1): Promise<OwnerLog> {
  const manifest = testManifest()
  const hub = new MemoryHub()
  const store = memoryLogStore()
  const ownerKey = await devKey('WebtensorOwner')
  const validatorKey = await devKey('WebtensorValidator1')
  const owner = createOwnerNode({ manifest, mesh: hub.join(ownerKey), signer: ownerKey, runEpoch: exactEpoch, store, clock: 'manual', randomBytes: (n) => new Uint8Array(n).fill(seed) })
  await owner.start()
  const miners = await Promise.all([devKey('LogMiner0'), devKey('LogMiner1')])
  const vmesh = hub.join(validatorKey)
  const mmesh = miners.map((m) => hub.join(m))
  const drive = async (from: number, to: number): Promise<void> => {
    for (let b = from; b < to; b++) {
      owner.tick()
      const i = b % 7
      if (i < miners.length && owner.chain.uidOf(miners[i]!.address) === undefined) await mmesh[i]!.publish('register', registerPayload(owner.chain, miners[i]!))
      const uids = miners.map((m) => owner.chain.uidOf(m.address)).filter((u): u is number => u !== undefined)
      if (b % 4 === 0 && uids.length > 0) await vmesh.publish('weights', { epoch: owner.chain.epoch, uids, weights: uids.map((u) => 1000 + ((u * b) % 60000)), versionKey: '0' })
      await flush()
    }
  }
  await drive(0, blocks)
  return { hub, owner, ownerKey, validatorKey, miners, manifest, entries: store.entries, text: () => store.entries.map(logLine).join(''), drive }
}

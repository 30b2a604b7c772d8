/**
 * A real signed chain log, built in-process: an owner applies signed calls to a LocalChain and
 * logs each call and each epoch through LogWriter exactly as src/chain/owner-node.ts does (a
 * registration is logged only when accepted; a tick advances one block and logs the epoch it
 * ran). Miners register by proof of work at an easy difficulty, then every validator sets
 * weights over every uid once per tempo. Used by the chain log bench and the log fuzz test.
 */
import { hotkeyFromSecret, type Hotkey } from '../../src/identity/index.ts'
import { applyCall, digestOf, entryHash, fromHex, LogWriter, publicManifest, toHex, type CallKind, type LogEntry } from '../../src/chain/log.ts'
import { blocksUntilNextEpoch, LocalChain, type EpochFunction, type LocalEpochOutput, type LocalEpochRecord } from '../../src/chain/local-chain.ts'
import type { SubnetManifest } from '../../src/subnet/manifest.ts'
import type { Payloads } from '../../src/p2p/envelope.ts'
import { registerPayload, signedCall, testManifest } from './chain-calls.ts'
import { Rng } from './fuzz.ts'

export interface ChainLogPlan {
  /** Genesis validators (each with stake above the threshold). */
  validators: number
  /** Miners registered by proof of work after genesis. */
  miners: number
  /** Epochs during which every validator sets weights once per tempo. */
  epochs: number
  /** Hotkeys are `//${keyPrefix}${i}`: 0 is the owner, then validators, then miners. */
  keyPrefix?: string
  /** Registrations per block while miners register. */
  registrationsPerBlock?: number
  /** Also log a refused call (weights set twice in one block) and an owner stake entry. */
  variety?: boolean
  seed?: number
  /** Called with a line of progress now and then (key making is slow). */
  progress?: (line: string) => void
}

export interface BuiltChainLog<O extends LocalEpochOutput> {
  manifest: SubnetManifest
  owner: Hotkey
  validators: Hotkey[]
  miners: Hotkey[]
  entries: LogEntry[]
  /** The owner's chain after the last entry, and every epoch it ran. */
  chain: LocalChain<O>
  epochs: LocalEpochRecord<O>[]
  /** Index of the first entry of the weights phase (after every registration). */
  weightsFrom: number
}

/** Builds the log of `plan`; `runEpoch` is the owner's Yuma (exact, as the verifier runs it). */
export async function buildChainLog<O extends LocalEpochOutput>(plan: ChainLogPlan, runEpoch: EpochFunction<O>): Promise<BuiltChainLog<O>> {
  const prefix = plan.keyPrefix ?? 'Bench'
  const n = 1 + plan.validators + plan.miners
  const keys: Hotkey[] = []
  for (let i = 0; i < n; i++) {
    keys.push(await hotkeyFromSecret(`//${prefix}${i}`))
    if ((i + 1) % 64 === 0) plan.progress?.(`${i + 1}/${n} hotkeys`)
  }
  const [owner, ...rest] = keys as [Hotkey, ...Hotkey[]]
  const validators = rest.slice(0, plan.validators)
  const miners = rest.slice(plan.validators)
  const manifest = testManifest((m) => {
    m.chain.maxAllowedUids = n
    m.chain.registration = { ...m.chain.registration, difficulty: '1', minDifficulty: '1', maxRegistrationsPerBlock: 256, targetRegistrationsPerInterval: 1000 }
    m.owner = { hotkey: owner.address }
    // Unequal stakes, all above the stake threshold (1e12 rao).
    m.validators = validators.map((v, i) => ({ hotkey: v.address, stake: String(2_000_000_000_000 + i * 250_000_000_000) }))
  })
  const rng = new Rng(plan.seed ?? 7)
  const entries: LogEntry[] = []
  const writer = new LogWriter(owner, (e) => entries.push(e))
  const genesis = writer.append(0, { type: 'genesis', manifest: publicManifest(manifest), nonce: toHex(new Uint8Array(32).fill(plan.seed ?? 7)) })
  const chain = new LocalChain<O>(manifest, runEpoch, entryHash(genesis))
  const epochs: LocalEpochRecord<O>[] = []

  // The owner's two moves, as owner-node.ts makes them.
  const tick = (): void => {
    const record = chain.advance(fromHex(writer.head.hash))
    if (record === null) return
    writer.append(record.block, { type: 'epoch', epoch: record.epoch, inputDigest: digestOf(record.input), digest: digestOf(record.output) })
    epochs.push(record)
  }
  const call = <K extends CallKind>(key: Hotkey, kind: K, payload: Payloads[K]): void => {
    const { envelope, signed } = signedCall(key, manifest.netuid, kind, payload)
    const result = applyCall(chain, envelope)
    if (kind === 'register' && !result.ok) throw new Error(`registration refused: ${result.error}`)
    writer.append(chain.block, { type: 'call', kind, call: { body: toHex(signed.body), sig: toHex(signed.signature) }, result })
  }

  const perBlock = plan.registrationsPerBlock ?? 32
  let next = 0
  while (next < miners.length) {
    tick()
    for (let k = 0; k < perBlock && next < miners.length; k++, next++) call(miners[next]!, 'register', registerPayload(chain, miners[next]!))
  }
  plan.progress?.(`${miners.length} miners registered by block ${chain.block}`)

  // Each miner has a quality; validators see it with noise, as honest validators would.
  const quality = Array.from({ length: n }, (_, uid) => (uid <= plan.validators ? 0 : 0.2 + 0.8 * rng.next()))
  const uids = Array.from({ length: n }, (_, uid) => uid)
  const weightsFrom = entries.length
  const firstEpoch = chain.epoch
  if (plan.variety === true) {
    tick()
    writer.append(chain.block, { type: 'stake', hotkey: validators[0]!.address, amount: '1000000000' })
    chain.addStake(validators[0]!.address, 1_000_000_000n)
  }
  while (chain.epoch - firstEpoch < plan.epochs) {
    tick()
    // Validator v sets weights at offset v of each tempo (offset 0 is the block after an epoch).
    const offset = chain.tempo - blocksUntilNextEpoch(chain.netuid, chain.tempo, chain.block)
    for (const [v, key] of validators.entries()) {
      if (v % chain.tempo !== offset) continue
      const weights = quality.map((q) => Math.round(65535 * q * (0.85 + 0.3 * rng.next())))
      const payload = { epoch: chain.epoch, uids, weights: weights.map((w) => Math.min(65535, w)), versionKey: '0' }
      call(key, 'weights', payload)
      // The same validator again in the same block: refused (rate limit) and logged as refused.
      if (plan.variety === true && v === 0 && chain.epoch === firstEpoch) call(key, 'weights', payload)
    }
  }
  return { manifest, owner, validators, miners, entries, chain, epochs, weightsFrom }
}

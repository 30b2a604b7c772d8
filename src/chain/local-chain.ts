import { WebtensorError } from '../errors.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'
import { maxUpscaleU16, U16_MAX } from '../scoring/weights.ts'
import type { Metagraph } from './types.ts'

export class ChainError extends WebtensorError {
  override name = 'ChainError'
}

type SparseRow = [number, number][]

/**
 * The epoch input the local chain hands to Yuma, in the JSON format of `docs/yuma-format.md`
 * (the fields the local chain knows; the rest take the chain defaults).
 */
export interface LocalEpochInput {
  n: number
  block: number
  emission: string
  stake: string[]
  validator_permit: boolean[]
  last_update: number[]
  block_at_registration: number[]
  weights: SparseRow[]
  bonds: SparseRow[]
  owner_uid: number | null
  last_mechanism_step_block: number
  hyperparams: Record<string, number | boolean>
}

/** The parts of a Yuma epoch output the local chain stores. */
export interface LocalEpochOutput {
  new_validator_permit: boolean[]
  bonds_u16: SparseRow[]
  combined_emission: (string | number | bigint)[]
  u16: { incentive: number[]; dividends: number[] }
}

/** Runs one Yuma epoch (exact or fast); injected so the chain logic stays pure and testable. */
export type EpochFunction<O extends LocalEpochOutput = LocalEpochOutput> = (input: LocalEpochInput) => O

interface NeuronState {
  hotkey: string
  stake: bigint
  registeredAt: number
  lastUpdate: number
  validatorPermit: boolean
  weights: SparseRow
  bonds: SparseRow
}

export interface LocalEpochRecord<O extends LocalEpochOutput> {
  epoch: number
  block: number
  input: LocalEpochInput
  output: O
}

/**
 * subtensor's schedule: a subnet runs its epoch at the blocks where
 * `tempo - (block + netuid + 1) % (tempo + 1)` is 0, so subnets do not all run on the same block.
 */
export function blocksUntilNextEpoch(netuid: number, tempo: number, block: number): number {
  return tempo - ((block + netuid + 1) % (tempo + 1))
}

/**
 * The embedded default subnet's chain state: registrations, stake, weights, bonds, and the
 * block clock that runs Yuma every tempo. Pure: no timers, no network; the owner node drives it.
 * @example const chain = new LocalChain(manifest, (input) => runEpoch(input, { mode: 'exact' }))
 */
export class LocalChain<O extends LocalEpochOutput = LocalEpochOutput> {
  readonly netuid: number
  readonly tempo: number
  private readonly manifest: SubnetManifest
  private readonly runEpoch: EpochFunction<O>
  private readonly neurons: NeuronState[] = []
  private readonly uids = new Map<string, number>()
  private blockNumber = 0
  private epochCount = 0
  private lastStepBlock = 0
  private emissionSinceStep = 0n

  constructor(manifest: SubnetManifest, runEpoch: EpochFunction<O>) {
    this.manifest = manifest
    this.runEpoch = runEpoch
    this.netuid = manifest.netuid
    this.tempo = manifest.chain.tempo
    // Genesis: the owner's hotkey is uid 0, as when a subnet is created; then the manifest's
    // validators with their stake. They start with permits, as if a genesis epoch had run.
    this.register(manifest.owner.hotkey)
    for (const v of manifest.validators) {
      const uid = this.register(v.hotkey).uid
      this.neurons[uid]!.stake = BigInt(v.stake)
    }
    for (const n of this.neurons) n.validatorPermit = true
  }

  get block(): number {
    return this.blockNumber
  }
  get epoch(): number {
    return this.epochCount
  }

  uidOf(hotkey: string): number | undefined {
    return this.uids.get(hotkey)
  }

  /** Registers a hotkey (idempotent): returns its uid and whether it is new. */
  register(hotkey: string): { uid: number; isNew: boolean } {
    const known = this.uids.get(hotkey)
    if (known !== undefined) return { uid: known, isNew: false }
    if (this.neurons.length >= this.manifest.chain.maxAllowedUids) {
      throw new ChainError(`subnet ${this.netuid} is full (${this.neurons.length} uids)`, { code: 'subnet_full' })
    }
    const uid = this.neurons.length
    this.neurons.push({
      hotkey,
      stake: 0n,
      registeredAt: this.blockNumber,
      lastUpdate: this.blockNumber,
      validatorPermit: false,
      weights: [],
      bonds: [],
    })
    this.uids.set(hotkey, uid)
    return { uid, isNew: true }
  }

  /**
   * Stores a validator's weights as subtensor does: checks the caller, the uids and the values,
   * then max-upscales so the row's largest weight is 65535.
   */
  setWeights(hotkey: string, uids: readonly number[], weights: readonly number[]): void {
    const uid = this.uids.get(hotkey)
    if (uid === undefined) throw new ChainError(`hotkey ${hotkey} is not registered on subnet ${this.netuid}`, { code: 'not_registered' })
    const me = this.neurons[uid]!
    if (!me.validatorPermit) throw new ChainError(`uid ${uid} has no validator permit`, { code: 'no_permit' })
    if (uids.length !== weights.length) throw new ChainError('uids and weights differ in length', { code: 'bad_weights' })
    const seen = new Set<number>()
    for (const [i, u] of uids.entries()) {
      if (!Number.isInteger(u) || u < 0 || u >= this.neurons.length) throw new ChainError(`uid ${u} does not exist`, { code: 'bad_weights' })
      if (seen.has(u)) throw new ChainError(`uid ${u} appears twice`, { code: 'bad_weights' })
      seen.add(u)
      const w = weights[i]!
      if (!Number.isInteger(w) || w < 0 || w > U16_MAX) throw new ChainError(`weight ${w} is not a u16`, { code: 'bad_weights' })
    }
    const upscaled = maxUpscaleU16(weights)
    me.weights = uids.map((u, i) => [u, upscaled[i]!] as [number, number])
    me.lastUpdate = this.blockNumber
  }

  /** Advances one block; returns the epoch record when this block ran an epoch. */
  advance(): LocalEpochRecord<O> | null {
    this.blockNumber += 1
    this.emissionSinceStep += BigInt(this.manifest.chain.emissionPerBlock)
    if (blocksUntilNextEpoch(this.netuid, this.tempo, this.blockNumber) !== 0) return null
    return this.runEpochNow()
  }

  /** The Yuma input for the current block and state. */
  epochInput(): LocalEpochInput {
    return {
      n: this.neurons.length,
      block: this.blockNumber,
      emission: this.emissionSinceStep.toString(),
      stake: this.neurons.map((n) => n.stake.toString()),
      validator_permit: this.neurons.map((n) => n.validatorPermit),
      last_update: this.neurons.map((n) => n.lastUpdate),
      block_at_registration: this.neurons.map((n) => n.registeredAt),
      weights: this.neurons.map((n) => n.weights.map(([u, w]) => [u, w] as [number, number])),
      bonds: this.neurons.map((n) => n.bonds.map(([u, b]) => [u, b] as [number, number])),
      owner_uid: 0,
      last_mechanism_step_block: this.lastStepBlock,
      hyperparams: { ...this.manifest.hyperparams, tempo: this.tempo },
    }
  }

  private runEpochNow(): LocalEpochRecord<O> {
    const input = this.epochInput()
    const output = this.runEpoch(input)
    for (const [uid, n] of this.neurons.entries()) {
      n.validatorPermit = output.new_validator_permit[uid] ?? false
      n.bonds = (output.bonds_u16[uid] ?? []).map(([u, b]) => [u, b] as [number, number])
      // Emission lands as stake on the hotkey (alpha), as the coinbase does with epoch emission.
      n.stake += BigInt(output.combined_emission[uid] ?? 0)
    }
    this.lastStepBlock = this.blockNumber
    this.emissionSinceStep = 0n
    this.epochCount += 1
    return { epoch: this.epochCount, block: this.blockNumber, input, output }
  }

  /** The metagraph without the chain session fields, which the owner node adds. */
  metagraph(): Omit<Metagraph, 'chain' | 'blockHash' | 'difficulty'> {
    return {
      netuid: this.netuid,
      block: this.blockNumber,
      epoch: this.epochCount,
      tempo: this.tempo,
      neurons: this.neurons.map((n, uid) => ({
        uid,
        hotkey: n.hotkey,
        stake: n.stake.toString(),
        registeredAt: n.registeredAt,
        validatorPermit: n.validatorPermit,
        lastUpdate: n.lastUpdate,
      })),
    }
  }
}

import { WebtensorError } from '../errors.ts'
import type { SubnetManifest } from '../subnet/manifest.ts'
import { maxUpscaleU16, U16_MAX } from '../scoring/weights.ts'
import { blockHashFor, meetsDifficulty, sealHash, upgradedDifficulty } from './seal.ts'
import { commitHash } from './commit-hash.ts'
import type { Metagraph } from './types.ts'

/**
 * A call the chain refused. `code` names subtensor's error where there is one
 * (`SettingWeightsTooFast`, `InvalidSeal`, …), so the local chain and subtensor read the same.
 */
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
  /** Earliest unexpired weight commit per uid (null = none); only with commit-reveal on. */
  commit_blocks?: (number | null)[]
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
  /** Rao this uid earned in the last epoch (subtensor's `Emission`): what pruning compares. */
  emission: bigint
}

interface WeightCommit {
  hash: string
  block: number
}

export interface LocalEpochRecord<O extends LocalEpochOutput> {
  epoch: number
  block: number
  input: LocalEpochInput
  output: O
}

/** Proof of work for a registration, as subtensor's `register(netuid, block_number, nonce, work, …)` takes it. */
export interface RegistrationWork {
  block: number
  nonce: bigint
  seal: Uint8Array
}

/** The registration, weights and commit-reveal parameters of a subnet (subtensor's names in comments). */
export interface ChainRules {
  /** `Difficulty` at genesis, and its bounds `MinDifficulty`/`MaxDifficulty`. */
  difficulty: bigint
  minDifficulty: bigint
  maxDifficulty: bigint
  /** `AdjustmentInterval` (blocks) and `TargetRegistrationsPerInterval`. */
  adjustmentInterval: number
  targetRegistrationsPerInterval: number
  /** `AdjustmentAlpha`: u64 share of the old difficulty kept at each adjustment. */
  adjustmentAlpha: bigint
  /** `MaxRegistrationsPerBlock`. */
  maxRegistrationsPerBlock: number
  /** `ImmunityPeriod` (blocks) during which a new uid is not pruned. */
  immunityPeriod: number
  /** `WeightsVersionKey`: weights with a lower version key are refused (0 = any). */
  versionKey: bigint
  /** `WeightsSetRateLimit` (blocks between two set_weights or commits of one uid). */
  weightsRateLimit: number
  /** `MinAllowedWeights`, `MaxWeightsLimit` (u16 share of the largest normalised weight). */
  minAllowedWeights: number
  maxWeightLimit: number
  /** `CommitRevealWeightsEnabled` and `RevealPeriodEpochs`. */
  commitReveal: boolean
  revealPeriodEpochs: number
  /** `StakeThreshold` in rao: the least stake that may set weights (and hold a permit, in Yuma). */
  stakeThreshold: bigint
}

/** The rules of `manifest.chain`, with subtensor's defaults where the manifest is silent. */
export function chainRules(manifest: SubnetManifest): ChainRules {
  const r = manifest.chain.registration
  const w = manifest.chain.weights
  const hp = manifest.hyperparams
  return {
    difficulty: BigInt(r.difficulty),
    minDifficulty: BigInt(r.minDifficulty),
    maxDifficulty: BigInt(r.maxDifficulty),
    adjustmentInterval: r.adjustmentInterval,
    targetRegistrationsPerInterval: r.targetRegistrationsPerInterval,
    adjustmentAlpha: BigInt(r.adjustmentAlpha),
    maxRegistrationsPerBlock: r.maxRegistrationsPerBlock,
    immunityPeriod: r.immunityPeriod,
    versionKey: BigInt(w.versionKey),
    weightsRateLimit: w.rateLimit,
    minAllowedWeights: w.minAllowedWeights,
    maxWeightLimit: w.maxWeightLimit,
    commitReveal: hp.commit_reveal === true,
    revealPeriodEpochs: w.revealPeriodEpochs,
    stakeThreshold: BigInt(typeof hp.stake_threshold === 'number' ? hp.stake_threshold : 0),
  }
}

/**
 * subtensor's schedule: a subnet runs its epoch at the blocks where
 * `tempo - (block + netuid + 1) % (tempo + 1)` is 0, so subnets do not all run on the same block.
 */
export function blocksUntilNextEpoch(netuid: number, tempo: number, block: number): number {
  return tempo - ((block + netuid + 1) % (tempo + 1))
}

/** subtensor's `get_epoch_index`: which tempo a block falls in, as commit-reveal counts them. */
export function epochIndex(netuid: number, tempo: number, block: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1))
}

const ZERO_HASH = new Uint8Array(32)
/** How far back a registration's work may be dated: subtensor refuses `current - block >= 3`. */
const WORK_BLOCKS = 3
/** subtensor's cap on unrevealed commits per hotkey (`TooManyUnrevealedCommits`). */
const MAX_UNREVEALED_COMMITS = 10

function fail(code: string, message: string): never {
  throw new ChainError(message, { code })
}

function hex(bytes: Uint8Array): string {
  let s = '0x'
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

/**
 * Does the u16 vector, normalised to sum 1 in I32F32, keep every entry at or below
 * `limit / 65535`? subtensor's `check_vec_max_limited`, with bigint fixed point.
 */
function maxLimited(values: readonly number[], limit: number): boolean {
  if (limit === U16_MAX) return true
  const sum = values.reduce((s, v) => s + (BigInt(v) << 32n), 0n)
  if (sum === 0n) return true
  const limitFixed = (BigInt(limit) << 32n) / BigInt(U16_MAX)
  return values.every((v) => ((BigInt(v) << 64n) / sum) <= limitFixed)
}

/**
 * The embedded default subnet's chain state, following subtensor's rules: proof-of-work
 * registration with an adjusting difficulty, immunity and pruning, stake, set_weights checks,
 * commit-reveal, and Yuma every tempo. Pure: no timers, no network, no clock — the owner node
 * drives it and the chain log replays it (`replayLog`), so both reach the same state.
 * @example const chain = new LocalChain(manifest, (input) => runEpoch(input, { mode: 'exact' }), genesisHash)
 */
export class LocalChain<O extends LocalEpochOutput = LocalEpochOutput> {
  readonly netuid: number
  readonly tempo: number
  readonly rules: ChainRules
  private readonly manifest: SubnetManifest
  private readonly runEpoch: EpochFunction<O>
  private readonly genesis: Uint8Array
  private readonly neurons: NeuronState[] = []
  private readonly uids = new Map<string, number>()
  private readonly commits = new Map<string, WeightCommit[]>()
  /** Block hashes of the last few blocks: registrations are dated by one of them. */
  private readonly blockHashes = new Map<number, Uint8Array>()
  /** Seals already used, with their block (subtensor's `UsedWork`), kept while they could be replayed. */
  private readonly usedWork = new Map<string, number>()
  private blockNumber = 0
  private epochCount = 0
  private lastStepBlock = 0
  private emissionSinceStep = 0n
  private difficultyNow: bigint
  private lastAdjustmentBlock = 0
  private registrationsThisInterval = 0
  private registrationsThisBlock = 0

  constructor(manifest: SubnetManifest, runEpoch: EpochFunction<O>, genesis: Uint8Array = ZERO_HASH) {
    this.manifest = manifest
    this.runEpoch = runEpoch
    this.genesis = genesis
    this.netuid = manifest.netuid
    this.tempo = manifest.chain.tempo
    this.rules = chainRules(manifest)
    this.difficultyNow = this.rules.difficulty
    this.blockHashes.set(0, blockHashFor(genesis, 0, ZERO_HASH))
    // Genesis: the owner's hotkey is uid 0, as when a subnet is created; then the manifest's
    // validators with their stake. They start with permits, as if a genesis epoch had run.
    this.append(manifest.owner.hotkey)
    for (const v of manifest.validators) {
      const uid = this.append(v.hotkey)
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

  /** The current PoW difficulty (subtensor's `Difficulty`). */
  get difficulty(): bigint {
    return this.difficultyNow
  }

  /** The hash of `block` while registrations may still be dated by it, else undefined. */
  blockHash(block = this.blockNumber): Uint8Array | undefined {
    return this.blockHashes.get(block)
  }

  uidOf(hotkey: string): number | undefined {
    return this.uids.get(hotkey)
  }

  /** Whether `uid` is inside its immunity period (subtensor's `get_neuron_is_immune`). */
  isImmune(uid: number): boolean {
    const n = this.neurons[uid]
    return n !== undefined && this.blockNumber - n.registeredAt < this.rules.immunityPeriod
  }

  /**
   * subtensor's `do_registration`: checks the registration limits and the proof of work of
   * `hotkey` (whose 32-byte public key the seal commits to), then gives it a uid — a new one
   * while the subnet has room, else the pruned one. Returns the uid and the hotkey it replaced.
   */
  register(hotkey: string, publicKey: Uint8Array, work: RegistrationWork): { uid: number; replaced?: string } {
    if (this.registrationsThisBlock >= this.rules.maxRegistrationsPerBlock) fail('TooManyRegistrationsThisBlock', `at most ${this.rules.maxRegistrationsPerBlock} registrations per block`)
    if (this.registrationsThisInterval >= this.rules.targetRegistrationsPerInterval * 3) {
      fail('TooManyRegistrationsThisInterval', `at most ${this.rules.targetRegistrationsPerInterval * 3} registrations per ${this.rules.adjustmentInterval} blocks`)
    }
    if (this.uids.has(hotkey)) fail('HotKeyAlreadyRegisteredInSubNet', `${hotkey} is already registered on subnet ${this.netuid}`)
    if (work.block > this.blockNumber || this.blockNumber - work.block >= WORK_BLOCKS) {
      fail('InvalidWorkBlock', `work for block ${work.block} at block ${this.blockNumber}: it must be at most ${WORK_BLOCKS - 1} blocks old`)
    }
    if (!meetsDifficulty(work.seal, this.difficultyNow)) fail('InvalidDifficulty', `the seal does not meet difficulty ${this.difficultyNow}`)
    const blockHash = this.blockHashes.get(work.block)
    if (blockHash === undefined) fail('InvalidWorkBlock', `no hash for block ${work.block}`)
    const expected = sealHash(blockHash, work.nonce, publicKey)
    if (hex(expected) !== hex(work.seal)) fail('InvalidSeal', 'the seal is not the hash of this block, nonce and hotkey')
    if (this.usedWork.has(hex(work.seal))) fail('InvalidSeal', 'this work was used already')
    const uid = this.neurons.length < this.manifest.chain.maxAllowedUids ? undefined : this.neuronToPrune()
    if (uid === null) fail('NoNeuronIdAvailable', `subnet ${this.netuid} is full and no uid can be pruned`)
    this.usedWork.set(hex(work.seal), this.blockNumber)
    this.registrationsThisBlock++
    this.registrationsThisInterval++
    if (uid === undefined) return { uid: this.append(hotkey) }
    const replaced = this.neurons[uid]!.hotkey
    this.replace(uid, hotkey)
    return { uid, replaced }
  }

  /**
   * subtensor's `get_neuron_to_prune`: the non-immune uid with the least emission (then the
   * earliest registration, then the lowest uid); when every uid is immune, the immune one by the
   * same order. The owner's uid is never pruned. Null when nothing can be.
   */
  neuronToPrune(): number | null {
    type Candidate = { emission: bigint; registeredAt: number; uid: number }
    let best: Candidate | null = null
    let bestImmune: Candidate | null = null
    const better = (a: Candidate, b: Candidate | null): boolean =>
      b === null || (a.emission !== b.emission ? a.emission < b.emission : a.registeredAt !== b.registeredAt ? a.registeredAt < b.registeredAt : a.uid < b.uid)
    for (const [uid, n] of this.neurons.entries()) {
      if (n.hotkey === this.manifest.owner.hotkey) continue
      const candidate = { emission: n.emission, registeredAt: n.registeredAt, uid }
      if (this.isImmune(uid)) {
        if (better(candidate, bestImmune)) bestImmune = candidate
      } else if (better(candidate, best)) best = candidate
    }
    return (best ?? bestImmune)?.uid ?? null
  }

  /** Stake moves only through owner-signed log entries (genesis, stake) and epoch emission. */
  addStake(hotkey: string, amount: bigint): void {
    const uid = this.uids.get(hotkey)
    if (uid === undefined) fail('HotKeyNotRegisteredInSubNet', `${hotkey} is not registered on subnet ${this.netuid}`)
    const n = this.neurons[uid]!
    if (n.stake + amount < 0n) fail('NotEnoughStakeToWithdraw', `uid ${uid} has ${n.stake} rao, cannot remove ${-amount}`)
    n.stake += amount
  }

  /**
   * Stores a validator's weights with subtensor's `set_weights` checks (in its order), then
   * max-upscales so the row's largest weight is 65535. `viaReveal`: the weights of a reveal,
   * which skips the rate limit and the commit-reveal refusal and does not touch last_update.
   */
  setWeights(hotkey: string, uids: readonly number[], weights: readonly number[], versionKey = 0n, viaReveal = false): void {
    if (uids.length !== weights.length) fail('WeightVecNotEqualSize', 'uids and weights differ in length')
    if (uids.length > this.neurons.length) fail('UidsLengthExceedUidsInSubNet', `${uids.length} uids, the subnet has ${this.neurons.length}`)
    const uid = this.uids.get(hotkey)
    if (uid === undefined) fail('HotKeyNotRegisteredInSubNet', `hotkey ${hotkey} is not registered on subnet ${this.netuid}`)
    if (!viaReveal && this.rules.commitReveal) fail('CommitRevealEnabled', `subnet ${this.netuid} takes weights by commit and reveal`)
    const me = this.neurons[uid]!
    if (me.stake < this.rules.stakeThreshold) fail('NotEnoughStakeToSetWeights', `uid ${uid} has ${me.stake} rao, below the stake threshold ${this.rules.stakeThreshold}`)
    if (this.rules.versionKey !== 0n && versionKey < this.rules.versionKey) fail('IncorrectWeightVersionKey', `version key ${versionKey} is below ${this.rules.versionKey}`)
    if (!viaReveal && !this.rateLimitPassed(uid)) fail('SettingWeightsTooFast', `uid ${uid} set weights at block ${me.lastUpdate}; the limit is every ${this.rules.weightsRateLimit} blocks`)
    const selfWeight = uids.length === 1 && uids[0] === uid
    if (!selfWeight && !me.validatorPermit) fail('NeuronNoValidatorPermit', `uid ${uid} has no validator permit`)
    const seen = new Set<number>()
    for (const u of uids) {
      if (seen.has(u)) fail('DuplicateUids', `uid ${u} appears twice`)
      seen.add(u)
    }
    for (const u of uids) if (!Number.isInteger(u) || u < 0 || u >= this.neurons.length) fail('UidVecContainInvalidOne', `uid ${u} does not exist`)
    for (const w of weights) if (!Number.isInteger(w) || w < 0 || w > U16_MAX) fail('WeightVecNotEqualSize', `weight ${w} is not a u16`)
    const minAllowed = Math.min(this.rules.minAllowedWeights, this.neurons.length)
    if (!selfWeight && weights.length < minAllowed) fail('WeightVecLengthIsLow', `${weights.length} weights, at least ${minAllowed} required`)
    const upscaled = maxUpscaleU16(weights)
    if (!selfWeight && !maxLimited(upscaled, this.rules.maxWeightLimit)) fail('MaxWeightExceeded', `a weight exceeds ${this.rules.maxWeightLimit}/65535 of the row`)
    me.weights = uids.map((u, i) => [u, upscaled[i]!] as [number, number])
    if (!viaReveal) me.lastUpdate = this.blockNumber
  }

  /** subtensor's `commit_weights`: queues a commit hash; the weights come with the reveal. */
  commitWeights(hotkey: string, hash: string): void {
    if (!this.rules.commitReveal) fail('CommitRevealDisabled', `subnet ${this.netuid} does not use commit-reveal`)
    const uid = this.uids.get(hotkey)
    if (uid === undefined) fail('HotKeyNotRegisteredInSubNet', `hotkey ${hotkey} is not registered on subnet ${this.netuid}`)
    if (!this.rateLimitPassed(uid)) fail('CommittingWeightsTooFast', `uid ${uid} committed at block ${this.neurons[uid]!.lastUpdate}; the limit is every ${this.rules.weightsRateLimit} blocks`)
    const queue = this.liveCommits(hotkey)
    if (queue.length >= MAX_UNREVEALED_COMMITS) fail('TooManyUnrevealedCommits', `at most ${MAX_UNREVEALED_COMMITS} unrevealed commits`)
    queue.push({ hash: hash.toLowerCase(), block: this.blockNumber })
    this.commits.set(hotkey, queue)
    this.neurons[uid]!.lastUpdate = this.blockNumber
  }

  /**
   * subtensor's `reveal_weights`: the hash of (hotkey, netuid, uids, values, salt, version_key)
   * must match a live commit, in the epoch `RevealPeriodEpochs` after it; then the weights are set.
   */
  revealWeights(hotkey: string, publicKey: Uint8Array, uids: readonly number[], weights: readonly number[], salt: readonly number[], versionKey: bigint): void {
    if (!this.rules.commitReveal) fail('CommitRevealDisabled', `subnet ${this.netuid} does not use commit-reveal`)
    const all = this.commits.get(hotkey) ?? []
    const expired = all.filter((c) => this.commitExpired(c.block)).map((c) => c.hash)
    const live = all.filter((c) => !this.commitExpired(c.block))
    this.commits.set(hotkey, live)
    const provided = hex(commitHash({ hotkeyPublicKey: publicKey, netuid: this.netuid, uids: [...uids], values: [...weights], salt: [...salt], versionKey }))
    const at = live.findIndex((c) => c.hash === provided)
    if (at < 0) {
      if (expired.includes(provided)) fail('ExpiredWeightCommit', 'the commit of these weights expired')
      fail(live.length === 0 ? 'NoWeightsCommitFound' : 'InvalidRevealCommitHashNotMatch', 'no commit matches these weights, salt and version key')
    }
    const commitEpoch = epochIndex(this.netuid, this.tempo, live[at]!.block)
    if (epochIndex(this.netuid, this.tempo, this.blockNumber) !== commitEpoch + this.rules.revealPeriodEpochs) fail('RevealTooEarly', `reveal in epoch ${commitEpoch + this.rules.revealPeriodEpochs}, not now`)
    this.setWeights(hotkey, uids, weights, versionKey, true)
    // Only after the weights passed: a refused reveal leaves the commit in place, as on chain.
    live.splice(0, at + 1)
    if (live.length === 0) this.commits.delete(hotkey)
  }

  /**
   * Advances to `block`, running each block's step on the way (registration adjustment, then
   * the epoch when one is due), and returns the epochs that ran. `parent` is the hash of the
   * chain log's last entry: each new block's hash commits to it.
   */
  advanceTo(block: number, parent: Uint8Array): LocalEpochRecord<O>[] {
    const ran: LocalEpochRecord<O>[] = []
    while (this.blockNumber < block) {
      const r = this.advance(parent)
      if (r !== null) ran.push(r)
    }
    return ran
  }

  /** Advances one block; returns the epoch record when this block ran an epoch. */
  advance(parent: Uint8Array = ZERO_HASH): LocalEpochRecord<O> | null {
    this.blockNumber += 1
    this.blockHashes.set(this.blockNumber, blockHashFor(this.genesis, this.blockNumber, parent))
    this.blockHashes.delete(this.blockNumber - WORK_BLOCKS)
    for (const [seal, at] of this.usedWork) if (this.blockNumber - at >= WORK_BLOCKS) this.usedWork.delete(seal)
    this.adjustRegistration()
    this.emissionSinceStep += BigInt(this.manifest.chain.emissionPerBlock)
    if (blocksUntilNextEpoch(this.netuid, this.tempo, this.blockNumber) !== 0) return null
    return this.runEpochNow()
  }

  /** The block of the next epoch after the current block. */
  nextEpochBlock(): number {
    const b = this.blockNumber + 1
    return b + blocksUntilNextEpoch(this.netuid, this.tempo, b)
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
      ...(this.rules.commitReveal ? { commit_blocks: this.neurons.map((n) => this.earliestLiveCommit(n.hotkey)) } : {}),
      hyperparams: { ...this.manifest.hyperparams, tempo: this.tempo },
    }
  }

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

  /** subtensor's `adjust_registration_terms_for_networks`, for proof-of-work registrations only. */
  private adjustRegistration(): void {
    const r = this.rules
    if (this.blockNumber - this.lastAdjustmentBlock >= r.adjustmentInterval) {
      // With PoW only, pow > burn registrations whenever there were any: difficulty moves; with
      // none (0 == 0) subtensor adjusts both, so difficulty moves down too.
      this.difficultyNow = upgradedDifficulty(this.difficultyNow, this.registrationsThisInterval, r.targetRegistrationsPerInterval, r.adjustmentAlpha, r.minDifficulty, r.maxDifficulty)
      this.lastAdjustmentBlock = this.blockNumber
      this.registrationsThisInterval = 0
    }
    this.registrationsThisBlock = 0
  }

  private rateLimitPassed(uid: number): boolean {
    const last = this.neurons[uid]!.lastUpdate
    // Storage default 0 = never set; genesis uids are registered at block 0 too.
    return last === 0 || this.blockNumber - last >= this.rules.weightsRateLimit
  }

  private commitExpired(commitBlock: number): boolean {
    return epochIndex(this.netuid, this.tempo, this.blockNumber) > epochIndex(this.netuid, this.tempo, commitBlock) + this.rules.revealPeriodEpochs
  }

  private liveCommits(hotkey: string): WeightCommit[] {
    return (this.commits.get(hotkey) ?? []).filter((c) => !this.commitExpired(c.block))
  }

  private earliestLiveCommit(hotkey: string): number | null {
    const live = this.liveCommits(hotkey)
    return live.length === 0 ? null : Math.min(...live.map((c) => c.block))
  }

  private append(hotkey: string): number {
    const uid = this.neurons.length
    this.neurons.push({ hotkey, stake: 0n, registeredAt: this.blockNumber, lastUpdate: this.blockNumber, validatorPermit: false, weights: [], bonds: [], emission: 0n })
    this.uids.set(hotkey, uid)
    return uid
  }

  /** subtensor's `replace_neuron` + `clear_neuron`: the uid's own weights and bonds go, weights on it become 0. */
  private replace(uid: number, hotkey: string): void {
    const old = this.neurons[uid]!
    this.uids.delete(old.hotkey)
    this.commits.delete(old.hotkey)
    this.neurons[uid] = { hotkey, stake: 0n, registeredAt: this.blockNumber, lastUpdate: this.blockNumber, validatorPermit: false, weights: [], bonds: [], emission: 0n }
    this.uids.set(hotkey, uid)
    // Others' bonds on the uid stay stored; Yuma masks them until each validator sets weights
    // after the new registration (bonds where last_update <= block_at_registration), as on chain.
    for (const n of this.neurons) n.weights = n.weights.map(([u, w]) => [u, u === uid ? 0 : w] as [number, number])
  }

  private runEpochNow(): LocalEpochRecord<O> {
    const input = this.epochInput()
    const output = this.runEpoch(input)
    for (const [uid, n] of this.neurons.entries()) {
      n.validatorPermit = output.new_validator_permit[uid] ?? false
      n.bonds = (output.bonds_u16[uid] ?? []).map(([u, b]) => [u, b] as [number, number])
      n.emission = BigInt(output.combined_emission[uid] ?? 0)
      // Emission lands as stake on the hotkey (alpha), as the coinbase does with epoch emission.
      n.stake += n.emission
    }
    this.lastStepBlock = this.blockNumber
    this.emissionSinceStep = 0n
    this.epochCount += 1
    return { epoch: this.epochCount, block: this.blockNumber, input, output }
  }
}

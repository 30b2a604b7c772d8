/**
 * Re-deriving a subtensor epoch from the chain state it read, and comparing the result with what
 * the runtime stored. Pure: `epoch-inputs.ts` does the reading.
 *
 * Two epoch functions are known:
 * - `yuma`: `epoch_mechanism` (Yuma consensus), as webtensor's exact Yuma implements it
 *   (`src/scoring/yuma/`, docs/yuma-format.md).
 * - `mock`: `epoch_mock` of the raonet builds (subtensor's rao branch, Dec 2024 – Jan 2025, the
 *   runtime in `shared/fixtures/subtensor/raonet.json`, spec 218). Their `run_coinbase` drains
 *   every subnet's pending emission in every block and calls `epoch_mock`, which runs no Yuma:
 *   it pays emission in proportion to stake and stores zeros in Incentive, Dividends, Consensus,
 *   Trust, Rank and ValidatorTrust (pallets/subtensor/src/epoch/run_epoch.rs lines 11–44 and
 *   coinbase/run_coinbase.rs lines 150–183 at opentensor/subtensor c39109d32).
 */
import { runEpoch, type EpochInput, type EpochOutput, type SparseRowU16 } from '../../scoring/index.ts'

/** Which epoch function the runtime runs. */
export type EpochFunction = 'yuma' | 'mock'

/** One subnet's coinbase inputs (the rao coinbase reads every subnet's pool). */
export interface SubnetPool {
  netuid: number
  mechanism: number
  subnetTao: bigint
}

/** Everything an epoch reads, as stored at the block before it (the epoch runs in `on_initialize`). */
export interface EpochInputs {
  netuid: number
  /** The epoch block; the inputs are the state of its parent. */
  block: number
  n: number
  /** Hotkey per uid ('' for a uid without a key). */
  hotkeys: string[]
  /** `TotalHotkeyAlpha(hotkey, netuid)` (rao of alpha). */
  alphaStake: bigint[]
  /** `TotalHotkeyAlpha(hotkey, 0)`: root TAO stake. */
  taoStake: bigint[]
  /** `TaoWeight` as stored (proportion × u64::MAX). */
  taoWeight: bigint
  validatorPermit: boolean[]
  lastUpdate: number[]
  blockAtRegistration: number[]
  weights: SparseRowU16[]
  bonds: SparseRowU16[]
  ownerUid: number | null
  lastMechanismStepBlock: number
  /** Whether any hotkey of the subnet has parent or child keys (stake inheritance, not re-derived here). */
  childKeys: boolean
  hyperparams: {
    tempo: number
    kappa: number
    rho: number
    bondsMovingAverage: number
    activityCutoff: number
    liquidAlpha: boolean
    alphaLow: number
    alphaHigh: number
    maxAllowedValidators: number
    maxWeightsLimit: number
    commitReveal: boolean
  }
  coinbase: {
    /** SubtensorModule `TotalIssuance` (TAO, rao). */
    totalIssuance: bigint
    subnets: SubnetPool[]
    subnetAlphaIn: bigint
    subnetAlphaOut: bigint
    pendingEmission: bigint
    /** `SubnetOwnerCut` (u16 proportion). */
    subnetOwnerCut: number
    /** Whether `SubnetOwner` and `SubnetOwnerHotkey` are both stored (the cut is staked only then). */
    ownerPaid: boolean
  }
}

/** The per-uid vectors an epoch stores (u16 proportions; emission in rao as decimal strings). */
export interface StoredEpoch {
  incentive: number[]
  dividends: number[]
  consensus: number[]
  trust: number[]
  rank: number[]
  validatorTrust: number[]
  emission: string[]
  validatorPermit: boolean[]
  active: boolean[]
  stakeWeight: number[]
  pruningScores: number[]
  bonds: SparseRowU16[]
}

export type EpochField = keyof StoredEpoch

/** A value where the chain's stored epoch and ours differ. `uid` is null for a length mismatch. */
export interface EpochDifference {
  field: EpochField
  uid: number | null
  chain: string
  ours: string
}

/** What one function expects, and which fields it determines (the rest are not compared). */
export interface ExpectedEpoch {
  fn: EpochFunction
  values: Partial<StoredEpoch>
  /** Fields left out, with the reason. */
  skipped: Partial<Record<EpochField, string>>
  /** The rao the epoch distributed (after the owner's cut), when known. */
  raoEmission: bigint | null
}

// ---- I96F32 (substrate-fixed), raw bits in a bigint; every value here is non-negative, so the
// crate's flooring multiply and truncating divide are both floor.
const F = 32n
const ONE96 = 1n << F
const fromInt = (x: bigint): bigint => x << F
const mul96 = (a: bigint, b: bigint): bigint => (a * b) >> F
const div96 = (a: bigint, b: bigint): bigint => (b === 0n ? 0n : (a << F) / b)
const toInt = (a: bigint): bigint => a >> F
const U64_MAX = (1n << 64n) - 1n
const TOTAL_SUPPLY = 21_000_000_000_000_000n
const DEFAULT_BLOCK_EMISSION = 1_000_000_000n

/**
 * `get_block_emission_for_issuance` (coinbase/block_emission.rs): 1e9 rao halved each time
 * issuance passes another half of what is left of the 21M supply. floor(log2 x) is taken from
 * the bit length of x's bits (the runtime's `log2` then `floor`).
 */
export function blockEmissionForIssuance(issuance: bigint): bigint {
  if (issuance >= TOTAL_SUPPLY) return 0n
  const half = fromInt(TOTAL_SUPPLY)
  const ratio = div96(fromInt(issuance), half)
  const rest = ONE96 - ratio
  const recip = div96(ONE96, rest)
  const floorLog2 = BigInt(recip.toString(2).length - 1) - F
  const k = floorLog2 < 0n ? 0n : floorLog2
  const pct = div96(ONE96, ONE96 << k)
  return toInt(mul96(pct, fromInt(DEFAULT_BLOCK_EMISSION)))
}

/** What the raonet coinbase hands the epoch at this block, and the stake the epoch then sees. */
export interface RaonetCoinbase {
  /** `PendingEmission` drained this block (what was pending plus this block's alpha out). */
  alphaOut: bigint
  /** The subnet owner's cut, staked to the owner's hotkey before the epoch runs. */
  ownerCut: bigint
  /** `alpha_out - owner_cut`: the rao the epoch distributes. */
  remaining: bigint
  /** The inputs with the owner's cut added to the owner's alpha stake (as `epoch_mock` reads it). */
  inputs: EpochInputs
}

/**
 * The raonet coinbase (`run_coinbase` steps 4–7.4) for one dynamic subnet (a stable one,
 * mechanism 0, gets its TAO emission as is): TAO in by the subnet's share of all subnets' TAO,
 * alpha into the pool at the pool's price, and alpha out = alpha emission − alpha in. The source
 * committed with the spec (c39109d32) has `2 * alpha_emission - alpha_in_emission`; the wasm in
 * raonet.json pays half of that, which is what this follows (matched exactly against the stored
 * `SubnetAlphaIn`, `EmissionValues` and `Emission`, see test/chain/subtensor-verify.test.ts).
 * Then the whole pending emission is drained every block and the owner's cut comes off the top.
 */
export function raonetCoinbase(i: EpochInputs): RaonetCoinbase {
  const c = i.coinbase
  const blockEmission = fromInt(blockEmissionForIssuance(c.totalIssuance))
  let total = 0n
  const mech = new Map<number, bigint>()
  for (const s of c.subnets) {
    if (s.netuid === 0) continue
    const t = fromInt(s.subnetTao)
    mech.set(s.mechanism, (mech.get(s.mechanism) ?? 0n) + t)
    total += t
  }
  const me = c.subnets.find((s) => s.netuid === i.netuid)
  let added = 0n
  if (me !== undefined && i.netuid !== 0) {
    const subnetTao = fromInt(me.subnetTao)
    const mechTao = mech.get(me.mechanism) ?? 0n
    const mechEmission = mul96(div96(mechTao, total), blockEmission)
    const taoIn = toInt(mul96(mechEmission, div96(subnetTao, mechTao)))
    const taoEmission = fromInt(taoIn)
    if (me.mechanism === 0) added = toInt(taoEmission)
    else {
      const alphaEmission = fromInt(blockEmissionForIssuance(c.subnetAlphaIn + c.subnetAlphaOut))
      // `tao_emission / block_emission` (the plain `/`: the runtime would panic on zero; here 0).
      const taoInProp = div96(taoEmission, blockEmission)
      const price = div96(subnetTao, fromInt(c.subnetAlphaIn))
      const alphaIn = price <= taoInProp ? ONE96 : div96(taoInProp, price)
      const alphaInEmission = mul96(alphaEmission, alphaIn)
      added = toInt(alphaEmission - alphaInEmission)
    }
  }
  const alphaOut = c.pendingEmission + added
  const cut = div96(fromInt(BigInt(c.subnetOwnerCut)), fromInt(65535n))
  const ownerCut = toInt(mul96(fromInt(alphaOut), cut))
  const alphaStake = i.alphaStake.slice()
  if (c.ownerPaid && i.ownerUid !== null) alphaStake[i.ownerUid] = alphaStake[i.ownerUid]! + ownerCut
  return { alphaOut, ownerCut, remaining: alphaOut - ownerCut, inputs: { ...i, alphaStake } }
}

/** Normalised stake as the epochs use it: I64F64 `alpha + tao × tao_weight`, normalised, cut to I32F32 bits. */
export function normalizedStake(i: EpochInputs): bigint[] {
  const tw32 = (i.taoWeight << F) / U64_MAX
  const tw64 = tw32 << F
  const max = (1n << 127n) - 1n
  const total = i.alphaStake.map((a, k) => {
    const v = (a << 64n) + (i.taoStake[k] ?? 0n) * tw64
    return v > max ? max : v
  })
  let sum = 0n
  for (const s of total) sum += s
  return total.map((s) => (sum === 0n ? s >> F : ((s << 64n) / sum) >> F))
}

const u16Of = (bits32: bigint): number => {
  const v = (bits32 * 65535n) >> F
  return v > 65535n ? 65535 : Number(v)
}

/** What `epoch_mock` stores (run_epoch.rs lines 11–44 at c39109d32) when it distributes `rao`. */
export function expectedMock(i: EpochInputs, rao: bigint): ExpectedEpoch {
  const stake = normalizedStake(i)
  const weight = stake.map(u16Of)
  const zeros = new Array<number>(i.n).fill(0)
  return {
    fn: 'mock',
    raoEmission: rao,
    values: {
      incentive: zeros,
      dividends: zeros,
      consensus: zeros,
      trust: zeros,
      rank: zeros,
      validatorTrust: zeros,
      // I96F32(stake) × I96F32(rao), to u64.
      emission: stake.map((s) => ((s * (rao << F)) >> F >> F).toString()),
      validatorPermit: new Array<boolean>(i.n).fill(true),
      active: new Array<boolean>(i.n).fill(true),
      stakeWeight: weight,
      pruningScores: weight,
      // epoch_mock leaves Bonds alone.
      bonds: i.bonds,
    },
    skipped: i.childKeys ? { emission: 'hotkeys with parent/child keys: inherited stake is not re-derived', stakeWeight: 'child keys', pruningScores: 'child keys' } : {},
  }
}

/** The Yuma input (docs/yuma-format.md) for these chain inputs; `emission` is the rao to distribute. */
export function yumaInput(i: EpochInputs, emission: bigint): EpochInput {
  const h = i.hyperparams
  return {
    n: i.n,
    block: i.block,
    emission: emission.toString(),
    alpha_stake: i.alphaStake.map(String),
    tao_stake: i.taoStake.map(String),
    tao_weight: i.taoWeight.toString(),
    validator_permit: i.validatorPermit,
    last_update: i.lastUpdate,
    block_at_registration: i.blockAtRegistration,
    weights: i.weights,
    bonds: i.bonds,
    owner_uid: i.ownerUid,
    last_mechanism_step_block: i.lastMechanismStepBlock,
    hyperparams: {
      kappa: h.kappa,
      bonds_moving_average: h.bondsMovingAverage,
      liquid_alpha: h.liquidAlpha,
      alpha_low: Math.min(h.alphaLow, h.alphaHigh),
      alpha_high: h.alphaHigh,
      max_allowed_validators: h.maxAllowedValidators,
      tempo: h.tempo,
      activity_cutoff: h.activityCutoff,
      commit_reveal: false,
    },
  }
}

/** What exact Yuma stores for these inputs (`emission`: the rao to distribute, or null when unknown). */
export function expectedYuma(i: EpochInputs, emission: bigint | null): { expected: ExpectedEpoch; output: EpochOutput } {
  const output = runEpoch(yumaInput(i, emission ?? 0n), { mode: 'exact' })
  const skipped: ExpectedEpoch['skipped'] = {
    trust: 'not stored by epoch_mechanism', rank: 'not stored by epoch_mechanism', pruningScores: 'not re-derived',
  }
  if (emission === null) skipped.emission = 'the emission this runtime hands the epoch is not re-derived'
  if (i.childKeys) skipped.emission = skipped.stakeWeight = 'hotkeys with parent/child keys: inherited stake is not re-derived'
  return {
    output,
    expected: {
      fn: 'yuma',
      raoEmission: emission,
      values: {
        incentive: output.u16.incentive,
        dividends: output.u16.dividends,
        consensus: output.u16.consensus,
        validatorTrust: output.u16.validator_trust,
        stakeWeight: output.u16.stake_weight,
        emission: output.combined_emission,
        validatorPermit: output.new_validator_permit,
        active: output.active,
        bonds: output.bonds_u16,
      },
      skipped,
    },
  }
}

const FIELDS: EpochField[] = ['incentive', 'dividends', 'consensus', 'trust', 'rank', 'validatorTrust', 'emission', 'validatorPermit', 'active', 'stakeWeight', 'pruningScores', 'bonds']

/** Every field the expectation determines, compared uid by uid with what the chain stored. */
export function compareEpoch(expected: ExpectedEpoch, stored: StoredEpoch): { differences: EpochDifference[]; compared: EpochField[] } {
  const differences: EpochDifference[] = []
  const compared: EpochField[] = []
  for (const field of FIELDS) {
    const ours = expected.values[field]
    if (ours === undefined || expected.skipped[field] !== undefined) continue
    compared.push(field)
    const chain = stored[field] as unknown[]
    const mine = ours as unknown[]
    const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v))
    if (field === 'bonds') {
      // A row absent on chain and an empty row mean the same thing.
      const m = Math.max(chain.length, mine.length)
      for (let u = 0; u < m; u++) {
        const a = (chain[u] as SparseRowU16 | undefined) ?? []
        const b = (mine[u] as SparseRowU16 | undefined) ?? []
        if (JSON.stringify(a) !== JSON.stringify(b)) differences.push({ field, uid: u, chain: show(a), ours: show(b) })
      }
      continue
    }
    if (chain.length !== mine.length) differences.push({ field, uid: null, chain: `${chain.length} values`, ours: `${mine.length} values` })
    const m = Math.min(chain.length, mine.length)
    for (let u = 0; u < m; u++) if (show(chain[u]) !== show(mine[u])) differences.push({ field, uid: u, chain: show(chain[u]), ours: show(mine[u]) })
  }
  return { differences, compared }
}

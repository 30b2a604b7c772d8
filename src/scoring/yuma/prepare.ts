import { YumaInputError } from './errors.ts'
import type { EpochInput, Rao, SparseRowU16, YumaHyperparams } from './types.ts'

const U64_MAX = (1n << 64n) - 1n

/** Hyperparameters with chain defaults filled in (runtime/src/lib.rs). */
export interface ResolvedHyperparams {
  kappa: number
  bonds_penalty: number
  bonds_moving_average: number
  yuma3: boolean
  liquid_alpha: boolean
  alpha_low: number
  alpha_high: number
  alpha_sigmoid_steepness: number
  max_allowed_validators: number
  stake_threshold: bigint
  tempo: number
  activity_cutoff: number
  commit_reveal: boolean
}

/** A sparse row in storage order: parallel arrays of uids and raw u16 values. */
export interface U16Row {
  cols: number[]
  vals: number[]
}

/** Validated input in the shape both epoch modes consume. */
export interface PreparedEpoch {
  n: number
  block: number
  emission: bigint
  /** I64F64 bits of `alpha + tao * tao_weight` per uid (before the threshold filter). */
  totalStake64: bigint[]
  validatorPermit: boolean[]
  lastUpdate: number[]
  registered: number[]
  weights: U16Row[]
  bonds: U16Row[]
  /** -1 when the subnet has no owner uid. */
  owner: number
  lastMechanismStepBlock: number
  /** Earliest unexpired commit block per uid; Infinity = none (u64::MAX on chain). */
  commitBlocks: number[] | null
  hp: ResolvedHyperparams
}

const HYPERPARAM_KEYS = new Set<keyof YumaHyperparams>([
  'kappa', 'bonds_penalty', 'bonds_moving_average', 'yuma3', 'liquid_alpha', 'alpha_low', 'alpha_high',
  'alpha_sigmoid_steepness', 'max_allowed_validators', 'stake_threshold', 'tempo', 'activity_cutoff',
  'activity_cutoff_factor_milli', 'commit_reveal',
])
const INPUT_KEYS = new Set<string>([
  'n', 'block', 'emission', 'stake', 'alpha_stake', 'tao_stake', 'tao_weight', 'validator_permit', 'last_update',
  'block_at_registration', 'weights', 'bonds', 'owner_uid', 'last_mechanism_step_block', 'commit_blocks', 'hyperparams',
])

/**
 * A bad value, shortly, for an error message. Not JSON.stringify: a deeply nested value made it
 * throw a RangeError (stack overflow) instead of the YumaInputError, and a huge one a huge message.
 */
function show(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x.length > 80 ? `${x.slice(0, 80)}…` : x)
  if (Array.isArray(x)) return `an array of ${x.length}`
  if (x !== null && typeof x === 'object') return 'an object'
  return String(x)
}

function fail(field: string, message: string): never {
  throw new YumaInputError(field, message)
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

function int(x: unknown, field: string, min: number, max: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) fail(field, `expected an integer, got ${show(x)}`)
  if (x < min || x > max) fail(field, `${x} is out of range [${min}, ${max}]`)
  return x
}

function bool(x: unknown, field: string): boolean {
  if (typeof x !== 'boolean') fail(field, `expected a boolean, got ${show(x)}`)
  return x
}

/** Parses a rao amount (u64) given as a safe integer, a bigint, or a decimal string. */
export function parseRao(x: unknown, field: string): bigint {
  let v: bigint
  if (typeof x === 'bigint') v = x
  else if (typeof x === 'number') {
    if (!Number.isSafeInteger(x)) fail(field, `expected an integer rao amount (use a string above 2^53), got ${x}`)
    v = BigInt(x)
  } else if (typeof x === 'string') {
    if (!/^-?[0-9]+$/.test(x)) fail(field, `expected a decimal integer string, got ${show(x)}`)
    v = BigInt(x)
  } else fail(field, `expected a rao amount (number, bigint or decimal string), got ${show(x)}`)
  if (v < 0n) fail(field, `must not be negative (${v})`)
  if (v > U64_MAX) fail(field, `exceeds u64 (${v})`)
  return v
}

function array(x: unknown, field: string, n: number): unknown[] {
  if (!Array.isArray(x)) fail(field, `expected an array of length ${n}`)
  if (x.length !== n) fail(field, `expected length n = ${n}, got ${x.length}`)
  return x
}

function blocks(x: unknown, field: string, n: number): number[] {
  return array(x, field, n).map((v, i) => int(v, `${field}[${i}]`, 0, Number.MAX_SAFE_INTEGER))
}

function rows(x: unknown, field: string, n: number): U16Row[] {
  const seen = new Int32Array(n).fill(-1)
  return array(x, field, n).map((row, i) => {
    if (!Array.isArray(row)) fail(`${field}[${i}]`, 'expected an array of [uid, u16] pairs')
    const len = row.length
    const cols = new Array<number>(len)
    const vals = new Array<number>(len)
    for (let k = 0; k < len; k++) {
      const pair: unknown = row[k]
      // Field names are built only on failure: this loop runs once per stored weight.
      if (!Array.isArray(pair) || pair.length !== 2) fail(`${field}[${i}][${k}]`, 'expected a [uid, u16] pair')
      const uid: unknown = pair[0]
      const value: unknown = pair[1]
      if (typeof uid !== 'number' || !Number.isInteger(uid) || uid < 0 || uid >= n) int(uid, `${field}[${i}][${k}][0]`, 0, n - 1)
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) int(value, `${field}[${i}][${k}][1]`, 0, 65535)
      const j = uid as number
      // The chain rejects duplicate uids in set_weights, so a stored row never has one.
      if (seen[j] === i) fail(`${field}[${i}][${k}][0]`, `duplicate uid ${j} in one row`)
      seen[j] = i
      cols[k] = j
      vals[k] = value as number
    }
    return { cols, vals }
  })
}

function resolveHyperparams(x: unknown): ResolvedHyperparams {
  const hp: Record<string, unknown> = x === undefined || x === null ? {} : isObject(x) ? x : fail('hyperparams', 'expected an object')
  for (const key of Object.keys(hp)) {
    if (!HYPERPARAM_KEYS.has(key as keyof YumaHyperparams)) fail(`hyperparams.${key}`, 'unknown hyperparameter')
  }
  const get = <T>(key: keyof YumaHyperparams, parse: (v: unknown, f: string) => T, dflt: T): T =>
    hp[key] === undefined ? dflt : parse(hp[key], `hyperparams.${key}`)
  const u16 = (v: unknown, f: string) => int(v, f, 0, 65535)
  const tempo = get('tempo', u16, 360)
  const explicitCutoff = get('activity_cutoff', u16, -1)
  const factor = get('activity_cutoff_factor_milli', (v, f) => int(v, f, 0, 0xffffffff), -1)
  if (explicitCutoff >= 0 && factor >= 0) {
    fail('hyperparams.activity_cutoff', 'give activity_cutoff or activity_cutoff_factor_milli, not both')
  }
  // Dynamic tempo: the cutoff is a per-mille factor of the tempo, at least one block.
  const activity_cutoff = explicitCutoff >= 0 ? explicitCutoff : Math.max(Math.floor(((factor >= 0 ? factor : 13_889) * tempo) / 1000), 1)
  const resolved: ResolvedHyperparams = {
    kappa: get('kappa', u16, 32_767),
    bonds_penalty: get('bonds_penalty', u16, 65_535),
    bonds_moving_average: get('bonds_moving_average', (v, f) => int(v, f, 0, 1_000_000), 900_000),
    yuma3: get('yuma3', bool, false),
    liquid_alpha: get('liquid_alpha', bool, false),
    alpha_low: get('alpha_low', u16, 45_875),
    alpha_high: get('alpha_high', u16, 58_982),
    alpha_sigmoid_steepness: get('alpha_sigmoid_steepness', (v, f) => int(v, f, -32768, 32767), 1000),
    max_allowed_validators: get('max_allowed_validators', u16, 128),
    stake_threshold: get('stake_threshold', parseRao, 0n),
    tempo,
    activity_cutoff,
    commit_reveal: get('commit_reveal', bool, true),
  }
  if (resolved.alpha_low > resolved.alpha_high) fail('hyperparams.alpha_low', 'must not exceed alpha_high')
  return resolved
}

/**
 * Validates an epoch input and converts it to the internal form. Throws `YumaInputError`
 * naming the field on any problem (wrong length, uid out of range, u16 overflow, negative stake,
 * unknown key).
 */
export function prepareEpoch(json: unknown): PreparedEpoch {
  if (!isObject(json)) fail('input', 'expected an epoch object')
  for (const key of Object.keys(json)) if (!INPUT_KEYS.has(key)) fail(key, 'unknown field')
  const n = int(json.n, 'n', 0, 65535)
  const block = int(json.block, 'block', 0, Number.MAX_SAFE_INTEGER)
  const emission = parseRao(json.emission, 'emission')
  const hp = resolveHyperparams(json.hyperparams)

  let totalStake64: bigint[]
  if (json.stake !== undefined) {
    if (json.alpha_stake !== undefined || json.tao_stake !== undefined) {
      fail('stake', 'give stake or alpha_stake + tao_stake, not both')
    }
    // I64F64::from_num(u64) saturates at i64::MAX.
    const max = (1n << 127n) - 1n
    totalStake64 = array(json.stake, 'stake', n).map((s, i) => {
      const v = parseRao(s, `stake[${i}]`) << 64n
      return v > max ? max : v
    })
  } else {
    if (json.alpha_stake === undefined) fail('stake', 'missing (give stake, or alpha_stake + tao_stake + tao_weight)')
    const alpha = array(json.alpha_stake, 'alpha_stake', n).map((s, i) => parseRao(s, `alpha_stake[${i}]`))
    const tao = json.tao_stake === undefined ? alpha.map(() => 0n) : array(json.tao_stake, 'tao_stake', n).map((s, i) => parseRao(s, `tao_stake[${i}]`))
    if (json.tao_stake !== undefined && json.tao_weight === undefined) fail('tao_weight', 'required with tao_stake')
    const taoWeight = json.tao_weight === undefined ? 0n : parseRao(json.tao_weight, 'tao_weight')
    totalStake64 = stakeFromAlphaTao(alpha, tao, taoWeight)
  }

  const validatorPermit = array(json.validator_permit, 'validator_permit', n).map((v, i) => bool(v, `validator_permit[${i}]`))
  const lastUpdate = blocks(json.last_update, 'last_update', n)
  const registered = blocks(json.block_at_registration, 'block_at_registration', n)
  const weights = rows(json.weights, 'weights', n)
  const bonds = json.bonds === undefined || json.bonds === null ? Array.from({ length: n }, () => ({ cols: [], vals: [] })) : rows(json.bonds, 'bonds', n)
  const owner = json.owner_uid === undefined || json.owner_uid === null ? -1 : int(json.owner_uid, 'owner_uid', 0, Math.max(n - 1, 0))
  if (owner >= n) fail('owner_uid', `uid ${owner} is out of range for n = ${n}`)
  const lastMechanismStepBlock = json.last_mechanism_step_block === undefined ? 0 : int(json.last_mechanism_step_block, 'last_mechanism_step_block', 0, Number.MAX_SAFE_INTEGER)
  const commitBlocks = json.commit_blocks === undefined || json.commit_blocks === null
    ? null
    : array(json.commit_blocks, 'commit_blocks', n).map((v, i) => (v === null ? Infinity : int(v, `commit_blocks[${i}]`, 0, Number.MAX_SAFE_INTEGER)))
  return { n, block, emission, totalStake64, validatorPermit, lastUpdate, registered, weights, bonds, owner, lastMechanismStepBlock, commitBlocks, hp }
}

/**
 * Chain stake weight: `alpha + tao * tao_weight` in I64F64, where `tao_weight` is
 * `TaoWeight / u64::MAX` computed in I96F32 (so it keeps 32 fractional bits).
 */
export function stakeFromAlphaTao(alpha: bigint[], tao: bigint[], taoWeightU64: bigint): bigint[] {
  const tw32 = (taoWeightU64 << 32n) / U64_MAX
  const tw64 = tw32 << 32n
  const max = (1n << 127n) - 1n
  return alpha.map((a, i) => {
    const v = (a << 64n) + tao[i] * tw64
    return v > max ? max : v
  })
}

/** Copies the fields of a rows-matrix back to the JSON form. */
export function rowsToJson(rows: U16Row[]): SparseRowU16[] {
  return rows.map((r) => r.cols.map((c, k) => [c, r.vals[k]] as [number, number]))
}

/** Normalises a rao for output. */
export function raoString(x: Rao): string {
  return BigInt(x).toString()
}

/**
 * Stored bonds with the columns of recently registered miners dropped (`last_tempo <= reg_j`,
 * where `last_tempo` is the last mechanism step + 1, or `block - tempo` before the first step),
 * each kept value mapped by `scale` (u16 → the mode's number type). Shared by both modes.
 */
export function maskedBondRows(p: PreparedEpoch, tempo: number, scale: (u16: number) => number): { c: number[]; v: number[] }[] {
  const lastTempo = p.lastMechanismStepBlock === 0 ? Math.max(p.block - tempo, 0) : p.lastMechanismStepBlock + 1
  return p.bonds.map((r) => {
    const out = { c: [] as number[], v: [] as number[] }
    for (let k = 0; k < r.cols.length; k++) {
      if (lastTempo <= p.registered[r.cols[k]]) continue
      out.c.push(r.cols[k])
      out.v.push(scale(r.vals[k]))
    }
    return out
  })
}

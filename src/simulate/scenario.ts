import { WebtensorError } from '../errors.ts'
import { parseEpochInput, YumaInputError } from '../scoring/index.ts'
import { ManifestError, parseManifest, type SubnetManifest } from '../subnet/manifest.ts'

/** Miners: they answer queries (or pretend to) and earn incentive. */
export const MINER_BEHAVIOURS = [
  'honest-miner',
  'answer-table',
  'copier',
  'different-model',
  'invented-logprobs',
  'slow',
  'flaky',
  'churn',
  'sybil-flood',
] as const
/** Validators: they score miners and set weights, and earn dividends. */
export const VALIDATOR_BEHAVIOURS = ['honest-validator', 'random-weights', 'weight-copier'] as const
/** Peers without a miner or validator uid: a stranger flooding queries, a dishonest owner. */
export const OTHER_BEHAVIOURS = ['query-flooder', 'owner-forges-epoch'] as const
export const BEHAVIOURS = [...MINER_BEHAVIOURS, ...VALIDATOR_BEHAVIOURS, ...OTHER_BEHAVIOURS] as const

export type MinerBehaviour = (typeof MINER_BEHAVIOURS)[number]
export type ValidatorBehaviour = (typeof VALIDATOR_BEHAVIOURS)[number]
export type Behaviour = (typeof BEHAVIOURS)[number]

export const isMinerBehaviour = (b: string): b is MinerBehaviour => (MINER_BEHAVIOURS as readonly string[]).includes(b)
export const isValidatorBehaviour = (b: string): b is ValidatorBehaviour => (VALIDATOR_BEHAVIOURS as readonly string[]).includes(b)

/**
 * A group of peers that behave alike. Only the fields of its behaviour are set (the parser
 * refuses the others); defaults are filled in.
 */
export interface CastGroup {
  behaviour: Behaviour
  count: number
  /** Stake in TAO per peer (default: 1000 for validators, 0 otherwise). */
  stake: number
  /** Answering miners: each one's true answer quality is drawn from [lo, hi] (default [0.85, 1]). */
  quality?: [number, number]
  /** Answering miners: draw a fresh quality every this many epochs (a model update); null = never. */
  changeEvery?: number | null
  /** slow: the latency the validator measures, in ms (default half way from target to timeout). */
  latencyMs?: number
  /** flaky: the share of queries it drops (0..1). */
  dropRate?: number
  /** churn: online for `leaveEvery` epochs, then away for `stayFor`, over and over. */
  leaveEvery?: number
  stayFor?: number
  /** sybil-flood: registrations tried per epoch (limited by the chain's registration rules), from this epoch. */
  perEpoch?: number
  fromEpoch?: number
  /** honest-validator: standard deviation of its observation of a miner's score (default 0.05). */
  noise?: number
  /** weight-copier: whose weights it copies (the peer of that behaviour with the most stake). */
  target?: ValidatorBehaviour
  /** owner-forges-epoch: the epoch (0-based) whose result the owner forges (default: the middle of the run). */
  atEpoch?: number
  /**
   * honest-miner, honest-validator: where exact mode runs the group's peers: `node` (default) Node
   * peers, `tab` pages of the real web app in headless Chromium. Math mode ignores it.
   */
  in?: PeerHost
}

/** Where exact mode runs a peer. */
export const PEER_HOSTS = ['node', 'tab'] as const
export type PeerHost = (typeof PEER_HOSTS)[number]

export type Fault =
  /** Kills `share` of the peers (seeded pick); they come back after `forEpochs`, or never (null). */
  | { atEpoch: number; kind: 'kill'; share: number; forEpochs: number | null }
  /** The relay restarts: for this epoch no weights reach the owner. */
  | { atEpoch: number; kind: 'restart-relay' }
  /** The mesh splits into `groups` for `forEpochs`: peers reach only their own group; the owner is in group 0. */
  | { atEpoch: number; kind: 'partition'; groups: number; forEpochs: number }

export type Metric = 'incentive' | 'dividends' | 'emission' | 'validator_trust'
export const METRICS: readonly Metric[] = ['incentive', 'dividends', 'emission', 'validator_trust']

interface ExpectationCommon {
  /** A short name printed with the result (default: a sentence made from the fields). */
  label?: string
  /** Measure from this epoch on (0-based, default 0). */
  fromEpoch: number
  /** Which run it checks: `base` (default), a variant's name, or `*` for every run. */
  variant: string
}

/** A claim the report checks: pass, fail (with the measured value), or skipped (mode lacks it). */
export type Expectation = ExpectationCommon &
  (
    | { kind: 'share'; behaviour: Behaviour; metric: Exclude<Metric, 'validator_trust'>; atLeast?: number; atMost?: number }
    | { kind: 'each-below'; behaviour: Behaviour; metric: Metric; below: number }
    | { kind: 'each-above'; behaviour: Behaviour; metric: Metric; above: number }
    | { kind: 'below-all'; behaviour: Behaviour; metric: Metric; than: Behaviour }
    | { kind: 'vtrust-below-all'; behaviour: Behaviour; than: Behaviour }
    | { kind: 'same-digests' }
    | { kind: 'forgery-detected' }
  )

export const EXPECTATION_KINDS = ['share', 'each-below', 'each-above', 'below-all', 'vtrust-below-all', 'same-digests', 'forgery-detected'] as const

/** The same scenario with other Yuma hyperparameters (e.g. `{ "yuma3": true }`). */
export interface Variant {
  name: string
  hyperparams: Record<string, number | boolean>
}

export type SimulationMode = 'math' | 'exact'

/** A parsed, checked scenario with every default filled in. */
export interface Scenario {
  name: string
  description: string
  mode: SimulationMode
  seed: number
  epochs: number
  blockTimeMs: number
  tempo: number
  /** The overrides as written, and the subnet manifest they make over the base one. */
  manifestOverrides: Record<string, unknown>
  manifest: SubnetManifest
  cast: CastGroup[]
  faults: Fault[]
  expectations: Expectation[]
  variants: Variant[]
}

/** A scenario that does not parse; `field` is the first bad one (`cast[2].dropRate`). */
export class ScenarioError extends WebtensorError {
  override name = 'ScenarioError'
  readonly field: string
  constructor(field: string, problem: string) {
    super(`scenario: ${field} ${problem}`, { code: 'bad_scenario' })
    this.field = field
  }
}

/** The most uids a subnet has (subtensor's `MaxAllowedUids` cap that the manifest accepts). */
export const MAX_UIDS = 4096

type Json = Record<string, unknown>

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)
  if (Array.isArray(v)) return `an array of ${v.length}`
  if (v !== null && typeof v === 'object') return 'an object'
  return String(v)
}
function obj(v: unknown, field: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ScenarioError(field, `must be an object, got ${show(v)}`)
  return v as Json
}
function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ScenarioError(field, `must be an integer in [${min}, ${max}], got ${show(v)}`)
  return v
}
function num(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ScenarioError(field, `must be a number in [${min}, ${max}], got ${show(v)}`)
  return v
}
function oneOf<T extends string>(v: unknown, field: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) throw new ScenarioError(field, `must be one of ${options.join(', ')}; got ${show(v)}`)
  return v as T
}
function known(o: Json, field: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ScenarioError(field === '' ? k : `${field}.${k}`, `is not a known field (${keys.join(', ')})`)
}
function arr(v: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw new ScenarioError(field, `must be an array, got ${show(v)}`)
  if (v.length > max) throw new ScenarioError(field, `has ${v.length} entries, at most ${max}`)
  return v
}

type HyperKind = 'u16' | 'bool' | 'ema' | 'i16' | 'rao' | 'u32'
/** The Yuma hyperparameters a scenario may set (docs/yuma-format.md), with their ranges. `tempo` is the scenario's own field. */
const HYPERPARAMS: Readonly<Record<string, HyperKind>> = {
  kappa: 'u16',
  bonds_penalty: 'u16',
  bonds_moving_average: 'ema',
  yuma3: 'bool',
  liquid_alpha: 'bool',
  alpha_low: 'u16',
  alpha_high: 'u16',
  alpha_sigmoid_steepness: 'i16',
  max_allowed_validators: 'u16',
  stake_threshold: 'rao',
  activity_cutoff: 'u16',
  activity_cutoff_factor_milli: 'u32',
  commit_reveal: 'bool',
}

/** The Yuma hyperparameters a scenario's manifest or variants may set. */
export const HYPERPARAM_NAMES: readonly string[] = Object.keys(HYPERPARAMS)

/** Checks Yuma hyperparameter overrides: known names, right types and ranges. */
export function parseHyperparams(v: unknown, field: string): Record<string, number | boolean> {
  const o = obj(v, field)
  const out: Record<string, number | boolean> = {}
  for (const [k, x] of Object.entries(o)) {
    const f = `${field}.${k}`
    if (k === 'tempo') throw new ScenarioError(f, "is the scenario's own field: set the top-level tempo")
    const kind = HYPERPARAMS[k]
    if (kind === undefined) throw new ScenarioError(f, `is not a Yuma hyperparameter (${Object.keys(HYPERPARAMS).join(', ')})`)
    if (kind === 'bool') {
      if (typeof x !== 'boolean') throw new ScenarioError(f, `must be true or false, got ${show(x)}`)
      out[k] = x
    } else {
      const [min, max] = { u16: [0, 65535], ema: [0, 1_000_000], i16: [-32768, 32767], rao: [0, Number.MAX_SAFE_INTEGER], u32: [0, 0xffffffff] }[kind]
      out[k] = int(x, f, min!, max!)
    }
  }
  return out
}

/** A scenario's top-level fields (`docs/scenario.schema.json` lists the same; a test keeps them in step). */
export const SCENARIO_KEYS = ['$schema', '$comment', 'name', 'description', 'mode', 'seed', 'epochs', 'blockTimeMs', 'tempo', 'manifest', 'cast', 'faults', 'expectations', 'variants'] as const

/** The fields of each fault kind. */
export const FAULT_KEYS = {
  kill: ['atEpoch', 'kind', 'share', 'forEpochs'],
  'restart-relay': ['atEpoch', 'kind'],
  partition: ['atEpoch', 'kind', 'groups', 'forEpochs'],
} as const

const EXPECTATION_BASE = ['kind', 'label', 'fromEpoch', 'variant'] as const
/** The fields of each expectation kind. */
export const EXPECTATION_KEYS: Record<Expectation['kind'], readonly string[]> = {
  share: [...EXPECTATION_BASE, 'behaviour', 'metric', 'atLeast', 'atMost'],
  'each-below': [...EXPECTATION_BASE, 'behaviour', 'metric', 'below'],
  'each-above': [...EXPECTATION_BASE, 'behaviour', 'metric', 'above'],
  'below-all': [...EXPECTATION_BASE, 'behaviour', 'metric', 'than'],
  'vtrust-below-all': [...EXPECTATION_BASE, 'behaviour', 'than'],
  'same-digests': [...EXPECTATION_BASE],
  'forgery-detected': [...EXPECTATION_BASE],
}

/** Keys each behaviour's group may carry, besides behaviour, count and stake. */
export const GROUP_KEYS: Record<Behaviour, readonly string[]> = {
  'honest-miner': ['quality', 'changeEvery', 'in'],
  'answer-table': [],
  copier: [],
  'different-model': [],
  'invented-logprobs': [],
  slow: ['quality', 'changeEvery', 'latencyMs'],
  flaky: ['quality', 'changeEvery', 'dropRate'],
  churn: ['quality', 'changeEvery', 'leaveEvery', 'stayFor'],
  'sybil-flood': ['perEpoch', 'fromEpoch'],
  'honest-validator': ['noise', 'in'],
  'random-weights': [],
  'weight-copier': ['target'],
  'query-flooder': [],
  'owner-forges-epoch': ['atEpoch'],
}

function parseGroup(v: unknown, field: string, manifest: SubnetManifest): CastGroup {
  const g = obj(v, field)
  const behaviour = oneOf(g.behaviour, `${field}.behaviour`, BEHAVIOURS)
  known(g, field, ['behaviour', 'count', 'stake', ...GROUP_KEYS[behaviour]])
  const validator = isValidatorBehaviour(behaviour)
  const out: CastGroup = {
    behaviour,
    count: int(g.count, `${field}.count`, behaviour === 'owner-forges-epoch' ? 1 : 0, behaviour === 'owner-forges-epoch' ? 1 : 100_000),
    stake: g.stake === undefined ? (validator ? 1000 : 0) : num(g.stake, `${field}.stake`, 0, 1_000_000),
  }
  const keys = GROUP_KEYS[behaviour]
  if (keys.includes('quality')) {
    if (g.quality === undefined) out.quality = [0.85, 1]
    else {
      const q = arr(g.quality, `${field}.quality`, 2)
      if (q.length !== 2) throw new ScenarioError(`${field}.quality`, 'must be [lo, hi]')
      const lo = num(q[0], `${field}.quality[0]`, 0, 1)
      const hi = num(q[1], `${field}.quality[1]`, lo, 1)
      out.quality = [lo, hi]
    }
    out.changeEvery = g.changeEvery === undefined || g.changeEvery === null ? null : int(g.changeEvery, `${field}.changeEvery`, 1, 1_000_000)
  }
  if (behaviour === 'slow') {
    const { latencyTargetMs: target, responseTimeoutMs: timeout } = manifest.validation
    out.latencyMs = g.latencyMs === undefined ? (target + timeout) / 2 : num(g.latencyMs, `${field}.latencyMs`, 0, 600_000)
  }
  if (keys.includes('in') && g.in !== undefined) out.in = oneOf(g.in, `${field}.in`, PEER_HOSTS)
  if (behaviour === 'flaky') out.dropRate = num(g.dropRate ?? 0.3, `${field}.dropRate`, 0, 1)
  if (behaviour === 'churn') {
    out.leaveEvery = int(g.leaveEvery ?? 5, `${field}.leaveEvery`, 1, 1_000_000)
    out.stayFor = int(g.stayFor ?? 2, `${field}.stayFor`, 1, 1_000_000)
  }
  if (behaviour === 'sybil-flood') {
    out.perEpoch = int(g.perEpoch ?? 4, `${field}.perEpoch`, 1, 65535)
    out.fromEpoch = int(g.fromEpoch ?? 0, `${field}.fromEpoch`, 0, 1_000_000)
  }
  if (behaviour === 'honest-validator') out.noise = num(g.noise ?? 0.05, `${field}.noise`, 0, 1)
  if (behaviour === 'owner-forges-epoch' && g.atEpoch !== undefined) out.atEpoch = int(g.atEpoch, `${field}.atEpoch`, 0, 1_000_000)
  if (behaviour === 'weight-copier') out.target = oneOf(g.target ?? 'honest-validator', `${field}.target`, VALIDATOR_BEHAVIOURS)
  return out
}

function parseFault(v: unknown, field: string, epochs: number): Fault {
  const f = obj(v, field)
  const kind = oneOf(f.kind, `${field}.kind`, ['kill', 'restart-relay', 'partition'] as const)
  const atEpoch = int(f.atEpoch, `${field}.atEpoch`, 0, Math.max(0, epochs - 1))
  switch (kind) {
    case 'kill':
      known(f, field, FAULT_KEYS.kill)
      return { atEpoch, kind, share: num(f.share, `${field}.share`, 0, 1), forEpochs: f.forEpochs === undefined || f.forEpochs === null ? null : int(f.forEpochs, `${field}.forEpochs`, 1, 1_000_000) }
    case 'restart-relay':
      known(f, field, FAULT_KEYS['restart-relay'])
      return { atEpoch, kind }
    case 'partition':
      known(f, field, FAULT_KEYS.partition)
      return { atEpoch, kind, groups: int(f.groups, `${field}.groups`, 2, 64), forEpochs: int(f.forEpochs ?? 1, `${field}.forEpochs`, 1, 1_000_000) }
  }
}

function parseExpectation(v: unknown, field: string, cast: readonly CastGroup[], runs: readonly string[], epochs: number): Expectation {
  const e = obj(v, field)
  const kind = oneOf(e.kind, `${field}.kind`, EXPECTATION_KINDS)
  const common: ExpectationCommon = {
    fromEpoch: int(e.fromEpoch ?? 0, `${field}.fromEpoch`, 0, Math.max(0, epochs - 1)),
    variant: e.variant === undefined ? 'base' : oneOf(e.variant, `${field}.variant`, [...runs, '*']),
  }
  if (e.label !== undefined) {
    if (typeof e.label !== 'string' || e.label === '' || e.label.length > 200) throw new ScenarioError(`${field}.label`, 'must be a string of 1 to 200 characters')
    common.label = e.label
  }
  const inCast = (x: unknown, f: string): Behaviour => {
    const b = oneOf(x, f, BEHAVIOURS)
    if (!cast.some((g) => g.behaviour === b && g.count > 0)) throw new ScenarioError(f, `names ${b}, which no cast group has`)
    return b
  }
  known(e, field, EXPECTATION_KEYS[kind])
  switch (kind) {
    case 'share': {
      const out: Expectation = { ...common, kind, behaviour: inCast(e.behaviour, `${field}.behaviour`), metric: oneOf(e.metric ?? 'incentive', `${field}.metric`, ['incentive', 'dividends', 'emission'] as const) }
      if (e.atLeast !== undefined) out.atLeast = num(e.atLeast, `${field}.atLeast`, 0, 1)
      if (e.atMost !== undefined) out.atMost = num(e.atMost, `${field}.atMost`, 0, 1)
      if (out.atLeast === undefined && out.atMost === undefined) throw new ScenarioError(`${field}.atLeast`, 'or atMost must be given')
      return out
    }
    case 'each-below':
      return { ...common, kind, behaviour: inCast(e.behaviour, `${field}.behaviour`), metric: oneOf(e.metric ?? 'incentive', `${field}.metric`, METRICS), below: num(e.below, `${field}.below`, 0, 1) }
    case 'each-above':
      return { ...common, kind, behaviour: inCast(e.behaviour, `${field}.behaviour`), metric: oneOf(e.metric ?? 'incentive', `${field}.metric`, METRICS), above: num(e.above, `${field}.above`, 0, 1) }
    case 'below-all':
      return { ...common, kind, behaviour: inCast(e.behaviour, `${field}.behaviour`), metric: oneOf(e.metric ?? 'incentive', `${field}.metric`, METRICS), than: inCast(e.than, `${field}.than`) }
    case 'vtrust-below-all': {
      const behaviour = inCast(e.behaviour, `${field}.behaviour`)
      const than = inCast(e.than, `${field}.than`)
      for (const [b, f] of [[behaviour, 'behaviour'], [than, 'than']] as const) {
        if (!isValidatorBehaviour(b)) throw new ScenarioError(`${field}.${f}`, `must be a validator behaviour (${VALIDATOR_BEHAVIOURS.join(', ')}), got ${b}`)
      }
      return { ...common, kind, behaviour, than }
    }
    case 'same-digests':
      return { ...common, kind }
    case 'forgery-detected':
      inCast('owner-forges-epoch', `${field}.kind`)
      return { ...common, kind }
  }
}

/**
 * Overrides merged into the base manifest: objects key by key, anything else replaced. A key the
 * base lacks is refused (a typo would otherwise be ignored), except under `hyperparams`.
 */
function mergeOverrides(base: unknown, over: Json, field: string): Json {
  const out: Json = { ...(base as Json) }
  for (const [k, v] of Object.entries(over)) {
    const f = `${field}.${k}`
    const b = (base as Json)[k]
    if (b === undefined && field !== 'manifest.hyperparams') throw new ScenarioError(f, 'is not a field of the subnet manifest')
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b) ? mergeOverrides(b, v as Json, f) : v
  }
  return out
}

/**
 * The Yuma hyperparameters of a run: the manifest's, then the variant's, then the tempo. A layer
 * that sets one of `activity_cutoff` / `activity_cutoff_factor_milli` drops the other below it.
 */
export function runHyperparams(manifest: Record<string, number | boolean>, variant: Record<string, number | boolean>, tempo: number): Record<string, number | boolean> {
  const out = { ...manifest }
  if ('activity_cutoff' in variant) delete out.activity_cutoff_factor_milli
  if ('activity_cutoff_factor_milli' in variant) delete out.activity_cutoff
  return { ...out, ...variant, tempo }
}

/** Lets Yuma's own input check judge a run's hyperparameters together (e.g. alpha_low ≤ alpha_high). */
function checkRunHyperparams(hyperparams: Record<string, number | boolean>, field: string): void {
  try {
    parseEpochInput({ n: 1, block: 1, emission: 0, stake: [0], validator_permit: [false], last_update: [0], block_at_registration: [0], weights: [[]], hyperparams })
  } catch (err) {
    if (err instanceof YumaInputError) throw new ScenarioError(field, `makes hyperparameters Yuma refuses: ${err.message}`)
    throw err
  }
}

/** Every uid a cast takes at the start: the owner's, then each validator and miner (sybils come later). */
export function initialUids(cast: readonly CastGroup[]): number {
  return 1 + cast.filter((g) => isValidatorBehaviour(g.behaviour) || (isMinerBehaviour(g.behaviour) && g.behaviour !== 'sybil-flood')).reduce((s, g) => s + g.count, 0)
}

/**
 * Checks a parsed scenario (JSON) and returns it with defaults filled in; throws `ScenarioError`
 * naming the first bad field. `base` is the subnet manifest the scenario's `manifest` overrides
 * (the CLI passes `subnets/default.json`), so the merged manifest is checked by `parseManifest` too.
 * @example const s = parseScenario(JSON.parse(text), parseManifest(JSON.parse(defaultJson)))
 */
export function parseScenario(json: unknown, base: SubnetManifest): Scenario {
  const s = obj(json, 'scenario')
  known(s, '', SCENARIO_KEYS)
  if (typeof s.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s.name)) {
    throw new ScenarioError('name', `must be 1–64 letters, digits, '.', '_' or '-' (it names the report folder), got ${show(s.name)}`)
  }
  if (s.description !== undefined && typeof s.description !== 'string') throw new ScenarioError('description', 'must be a string')
  const mode = oneOf(s.mode ?? 'math', 'mode', ['math', 'exact'] as const)
  const seed = int(s.seed ?? 1, 'seed', 0, 0xffffffff)
  const epochs = int(s.epochs, 'epochs', 1, 1_000_000)

  const overrides = obj(s.manifest ?? {}, 'manifest')
  if (overrides.hyperparams !== undefined) parseHyperparams(overrides.hyperparams, 'manifest.hyperparams')
  const merged = mergeOverrides(base, overrides, 'manifest')
  if (overrides.hyperparams !== undefined) {
    // The two activity cutoffs exclude each other: the one the scenario sets replaces the base's other.
    const given = overrides.hyperparams as Json
    const hp = { ...(merged.hyperparams as Json) }
    if ('activity_cutoff' in given && !('activity_cutoff_factor_milli' in given)) delete hp.activity_cutoff_factor_milli
    if ('activity_cutoff_factor_milli' in given && !('activity_cutoff' in given)) delete hp.activity_cutoff
    merged.hyperparams = hp
  }
  const chain = { ...(merged.chain as Json) }
  if (s.tempo !== undefined) chain.tempo = int(s.tempo, 'tempo', 1, 65535)
  if (s.blockTimeMs !== undefined) chain.blockTimeMs = int(s.blockTimeMs, 'blockTimeMs', 10, 600_000)
  let manifest: SubnetManifest
  try {
    manifest = parseManifest({ ...merged, chain })
  } catch (err) {
    if (err instanceof ManifestError) throw new ScenarioError('manifest', `does not make a valid subnet manifest: ${err.message}`)
    throw err
  }

  const cast = arr(s.cast, 'cast', 64).map((g, i) => parseGroup(g, `cast[${i}]`, manifest))
  if (!cast.some((g) => isValidatorBehaviour(g.behaviour) && g.count > 0)) throw new ScenarioError('cast', 'needs at least one validator')
  if (!cast.some((g) => isMinerBehaviour(g.behaviour) && g.count > 0)) throw new ScenarioError('cast', 'needs at least one miner')
  const uids = initialUids(cast)
  if (uids > manifest.chain.maxAllowedUids) {
    throw new ScenarioError('cast', `takes ${uids} uids (with the owner's), more than manifest.chain.maxAllowedUids (${manifest.chain.maxAllowedUids}; at most ${MAX_UIDS})`)
  }
  for (const [i, g] of cast.entries()) {
    if (g.behaviour === 'weight-copier' && !cast.some((h) => h.behaviour === g.target && h.count > 0)) {
      throw new ScenarioError(`cast[${i}].target`, `names ${g.target}, which no cast group has`)
    }
  }

  const variants: Variant[] = arr(s.variants ?? [], 'variants', 32).map((v, i) => {
    const o = obj(v, `variants[${i}]`)
    known(o, `variants[${i}]`, ['name', 'hyperparams'])
    if (typeof o.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(o.name) || o.name === 'base') {
      throw new ScenarioError(`variants[${i}].name`, `must be 1–64 letters, digits, '.', '_' or '-', not "base"; got ${show(o.name)}`)
    }
    return { name: o.name, hyperparams: parseHyperparams(o.hyperparams ?? {}, `variants[${i}].hyperparams`) }
  })
  const names = new Set<string>()
  for (const [i, v] of variants.entries()) {
    if (names.has(v.name)) throw new ScenarioError(`variants[${i}].name`, `repeats ${JSON.stringify(v.name)}`)
    names.add(v.name)
  }
  checkRunHyperparams(runHyperparams(manifest.hyperparams, {}, manifest.chain.tempo), 'manifest.hyperparams')
  for (const [i, v] of variants.entries()) checkRunHyperparams(runHyperparams(manifest.hyperparams, v.hyperparams, manifest.chain.tempo), `variants[${i}].hyperparams`)
  const runs = ['base', ...names]
  const faults = arr(s.faults ?? [], 'faults', 1000).map((f, i) => parseFault(f, `faults[${i}]`, epochs))
  for (const [i, g] of cast.entries()) {
    if (g.atEpoch !== undefined && g.atEpoch >= epochs) throw new ScenarioError(`cast[${i}].atEpoch`, `must be below epochs (${epochs}), got ${g.atEpoch}`)
  }
  const expectations = arr(s.expectations ?? [], 'expectations', 200).map((e, i) => parseExpectation(e, `expectations[${i}]`, cast, runs, epochs))
  return {
    name: s.name,
    description: typeof s.description === 'string' ? s.description : '',
    mode,
    seed,
    epochs,
    blockTimeMs: manifest.chain.blockTimeMs,
    tempo: manifest.chain.tempo,
    manifestOverrides: overrides,
    manifest,
    cast,
    faults,
    expectations,
    variants,
  }
}

/** A one-line description of an expectation, for the report and the CLI. */
export function describeExpectation(e: Expectation): string {
  if (e.label !== undefined) return e.label
  const from = e.fromEpoch > 0 ? ` from epoch ${e.fromEpoch}` : ''
  const metric = (m: Metric): string => (m === 'validator_trust' ? 'validator trust' : m)
  switch (e.kind) {
    case 'share': {
      const bounds = [e.atLeast !== undefined ? `≥ ${e.atLeast}` : '', e.atMost !== undefined ? `≤ ${e.atMost}` : ''].filter(Boolean).join(' and ')
      return `${e.behaviour}'s share of ${metric(e.metric)} ${bounds}${from}`
    }
    case 'each-below':
      return `each ${e.behaviour}'s ${metric(e.metric)} < ${e.below}${from}`
    case 'each-above':
      return `each ${e.behaviour}'s ${metric(e.metric)} > ${e.above}${from}`
    case 'below-all':
      return `each ${e.behaviour}'s ${metric(e.metric)} below every ${e.than}'s${from}`
    case 'vtrust-below-all':
      return `each ${e.behaviour}'s validator trust below every ${e.than}'s${from}`
    case 'same-digests':
      return 'every surviving peer has the same epoch digests'
    case 'forgery-detected':
      return "the log verifier refuses the owner's forged epoch at its entry"
  }
}

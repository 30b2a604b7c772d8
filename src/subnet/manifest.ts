import { WebtensorError } from '../errors.ts'
import type { TaskConfig } from './tasks/index.ts'
import { MODEL_DTYPES, type ModelDtype } from '../inference/types.ts'
import { ONNX_FILE_OF_DTYPE } from '../inference/model-files.ts'
import { MIN_CHOICE_TOLERANCE, MIN_LOGPROB_TOLERANCE } from '../inference/dtype-tolerance.ts'
import { IceServerError, parseIceServers, type IceServer } from '../p2p/ice-servers.ts'

/** Pinned model files: path inside the model folder → size and sha256 (hex). */
export interface ManifestModelIntegrity {
  files: Record<string, { size: number; sha256: string }>
}

export type { TaskConfig }

/** A subnet manifest: everything a peer needs to join one subnet (see `subnets/default.json`). */
export interface SubnetManifest {
  netuid: number
  name: string
  task: TaskConfig
  model: {
    /** Hugging Face-style model id, e.g. `webtensor/tiny-gpt2` or `Xenova/distilgpt2`. */
    id: string
    /** `relay`: files served by our relay at /models/; `hub`: the Hugging Face hub (or `remoteHost`). */
    source: 'relay' | 'hub'
    remoteHost?: string
    /** Which ONNX weights every peer runs (transformers.js `dtype`; default fp32). */
    dtype: ModelDtype
    integrity: ManifestModelIntegrity | null
  }
  chain: {
    blockTimeMs: number
    tempo: number
    /** Rao emitted to the subnet per block, as a decimal string (u64). */
    emissionPerBlock: string
    maxAllowedUids: number
    /** Proof-of-work registration, as subtensor's hyperparameters of the same names. */
    registration: {
      /** Initial `Difficulty` and its bounds (u64 decimal strings): expected hashes per registration. */
      difficulty: string
      minDifficulty: string
      maxDifficulty: string
      adjustmentInterval: number
      targetRegistrationsPerInterval: number
      /** u64 share of the old difficulty kept at each adjustment (0 = move all the way at once). */
      adjustmentAlpha: string
      maxRegistrationsPerBlock: number
      /** Blocks a new uid cannot be pruned. */
      immunityPeriod: number
    }
    /** What set_weights and commit-reveal accept (subtensor's `WeightsVersionKey`, `WeightsSetRateLimit`, …). */
    weights: {
      versionKey: string
      rateLimit: number
      minAllowedWeights: number
      maxWeightLimit: number
      revealPeriodEpochs: number
    }
  }
  owner: { hotkey: string; devSecret?: string }
  validators: { hotkey: string; devSecret?: string; stake: string }[]
  /** Yuma hyperparameters, names as in `docs/yuma-format.md`. */
  hyperparams: Record<string, number | boolean>
  validation: {
    /** How often a validator sends a round of queries: one to each miner not still answering its last. */
    queryIntervalMs: number
    /** An answer later than this scores 0 (latency is measured by the validator). */
    responseTimeoutMs: number
    /** Answers within this get full latency credit, falling linearly to 0 at the timeout. */
    latencyTargetMs: number
    /** Weight of a new score in the validator's moving average of each miner's score. */
    scoreAlpha: number
    /** Queries a miner serves per validator per minute; more are refused unread. */
    maxQueriesPerMinute: number
  }
  /**
   * How browsers reach each other. `iceServers`: STUN/TURN servers for WebRTC links, needed across
   * symmetric NATs. The manifest is public (pages get it), so TURN credentials here are public too:
   * prefer the server's `--turn` with a shared secret, which mints short-lived ones per page.
   */
  network: { iceServers: IceServer[] }
}

/** Where `source: "hub"` models come from unless the manifest names a mirror in `remoteHost`. */
export const HUGGING_FACE_HUB = 'https://huggingface.co'

export class ManifestError extends WebtensorError {
  override name = 'ManifestError'
  constructor(field: string, problem: string) {
    super(`subnet manifest: ${field} ${problem}`, { code: 'bad_manifest' })
  }
}

type Json = Record<string, unknown>

/**
 * A bad value, shortly, for an error message. Not JSON.stringify: a deeply nested value made it
 * throw a RangeError (stack overflow) instead of the ManifestError, and a huge one made a huge message.
 */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)
  if (Array.isArray(v)) return `an array of ${v.length}`
  if (v !== null && typeof v === 'object') return 'an object'
  return String(v)
}

function obj(v: unknown, field: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ManifestError(field, 'must be an object')
  return v as Json
}
function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ManifestError(field, `must be an integer in [${min}, ${max}], got ${show(v)}`)
  }
  return v
}
function num(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ManifestError(field, `must be a number in [${min}, ${max}], got ${show(v)}`)
  }
  return v
}
function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw new ManifestError(field, 'must be a non-empty string')
  return v
}
function u64(v: unknown, field: string): string {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v
  if (typeof s !== 'string' || !/^\d+$/.test(s) || BigInt(s) >= 2n ** 64n) {
    throw new ManifestError(field, `must be a u64 decimal string, got ${show(v)}`)
  }
  return s
}
function ss58(v: unknown, field: string): string {
  const s = str(v, field)
  if (!/^[1-9A-HJ-NP-Za-km-z]{46,48}$/.test(s)) throw new ManifestError(field, `is not an SS58 address: ${show(s)}`)
  return s
}

/**
 * Checks a parsed manifest and returns it typed; throws `ManifestError` naming the first bad field.
 * @example const m = parseManifest(JSON.parse(text))
 */
export function parseManifest(json: unknown): SubnetManifest {
  const m = obj(json, 'manifest')
  const model = obj(m.model, 'model')
  const chain = obj(m.chain, 'chain')
  const owner = obj(m.owner, 'owner')
  const validation = obj(m.validation, 'validation')
  if (!Array.isArray(m.validators) || m.validators.length === 0) {
    throw new ManifestError('validators', 'must be a non-empty array')
  }
  const source = model.source ?? 'relay'
  if (source !== 'relay' && source !== 'hub') throw new ManifestError('model.source', 'must be "relay" or "hub"')
  const hyperparams = obj(m.hyperparams ?? {}, 'hyperparams')
  for (const [k, v] of Object.entries(hyperparams)) {
    if (typeof v !== 'number' && typeof v !== 'boolean') throw new ManifestError(`hyperparams.${k}`, 'must be a number or boolean')
  }
  const network = obj(m.network ?? {}, 'network')
  for (const k of Object.keys(network)) if (k !== 'iceServers') throw new ManifestError(`network.${k}`, 'is not a known field (iceServers)')
  let iceServers: IceServer[]
  try {
    iceServers = parseIceServers(network.iceServers ?? [], 'network.iceServers')
  } catch (err) {
    if (err instanceof IceServerError) throw new ManifestError(err.field, err.problem)
    throw err
  }
  const out: SubnetManifest = {
    netuid: int(m.netuid, 'netuid', 0, 65535),
    name: str(m.name, 'name'),
    task: parseTask(m.task),
    model: {
      id: str(model.id, 'model.id'),
      source,
      ...(model.remoteHost !== undefined
        ? { remoteHost: str(model.remoteHost, 'model.remoteHost') }
        : source === 'hub'
          ? { remoteHost: HUGGING_FACE_HUB }
          : {}),
      dtype: model.dtype === undefined ? 'fp32' : oneOfDtype(model.dtype),
      integrity: model.integrity == null ? null : parseIntegrity(model.integrity),
    },
    chain: {
      blockTimeMs: int(chain.blockTimeMs, 'chain.blockTimeMs', 10, 600_000),
      tempo: int(chain.tempo, 'chain.tempo', 1, 65535),
      emissionPerBlock: u64(chain.emissionPerBlock, 'chain.emissionPerBlock'),
      maxAllowedUids: int(chain.maxAllowedUids, 'chain.maxAllowedUids', 2, 4096),
      registration: parseRegistration(chain.registration ?? {}),
      weights: parseWeightRules(chain.weights ?? {}),
    },
    owner: {
      hotkey: ss58(owner.hotkey, 'owner.hotkey'),
      ...(owner.devSecret === undefined ? {} : { devSecret: str(owner.devSecret, 'owner.devSecret') }),
    },
    validators: m.validators.map((v: unknown, i: number) => {
      const o = obj(v, `validators[${i}]`)
      return {
        hotkey: ss58(o.hotkey, `validators[${i}].hotkey`),
        ...(o.devSecret === undefined ? {} : { devSecret: str(o.devSecret, `validators[${i}].devSecret`) }),
        stake: u64(o.stake, `validators[${i}].stake`),
      }
    }),
    hyperparams: hyperparams as Record<string, number | boolean>,
    validation: {
      queryIntervalMs: int(validation.queryIntervalMs, 'validation.queryIntervalMs', 50, 3_600_000),
      responseTimeoutMs: int(validation.responseTimeoutMs, 'validation.responseTimeoutMs', 50, 600_000),
      latencyTargetMs: int(validation.latencyTargetMs, 'validation.latencyTargetMs', 0, 600_000),
      scoreAlpha: num(validation.scoreAlpha, 'validation.scoreAlpha', 0, 1),
      maxQueriesPerMinute: int(validation.maxQueriesPerMinute, 'validation.maxQueriesPerMinute', 1, 60_000),
    },
    network: { iceServers },
  }
  const onnx = ONNX_FILE_OF_DTYPE[out.model.dtype]
  if (out.model.integrity !== null && out.model.integrity.files[onnx] === undefined) {
    throw new ManifestError('model.integrity', `pins no ${onnx}, the file dtype ${out.model.dtype} runs`)
  }
  // Validators score miners on other backends: below the gaps measured between honest backends for
  // this dtype, honest answers would fail (docs/protocol.md, Tolerances).
  if (out.task.name === 'text-generation') {
    const dtype = out.model.dtype
    if (out.task.logprobTolerance < MIN_LOGPROB_TOLERANCE[dtype]) {
      throw new ManifestError('task.logprobTolerance', `must be at least ${MIN_LOGPROB_TOLERANCE[dtype]} for model.dtype ${dtype} (the log-probability gap between honest backends), got ${out.task.logprobTolerance}`)
    }
    if (out.task.choiceTolerance < MIN_CHOICE_TOLERANCE[dtype]) {
      throw new ManifestError('task.choiceTolerance', `must be at least ${MIN_CHOICE_TOLERANCE[dtype]} for model.dtype ${dtype} (honest backends' sampled picks differ below it), got ${out.task.choiceTolerance}`)
    }
  }
  if (out.validation.latencyTargetMs >= out.validation.responseTimeoutMs) throw new ManifestError('validation.latencyTargetMs', 'must be below validation.responseTimeoutMs')
  const threshold = out.hyperparams.stake_threshold
  if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 0)) {
    throw new ManifestError('hyperparams.stake_threshold', `must be a whole number of rao, got ${show(threshold)}`)
  }
  const hotkeys = [out.owner.hotkey, ...out.validators.map((v) => v.hotkey)]
  const twice = hotkeys.find((h, i) => hotkeys.indexOf(h) !== i)
  if (twice !== undefined) throw new ManifestError('validators', `name ${twice} twice (or the owner's hotkey): each genesis neuron needs its own hotkey`)
  if (hotkeys.length > out.chain.maxAllowedUids) throw new ManifestError('validators', `and the owner make ${hotkeys.length} genesis neurons, more than chain.maxAllowedUids (${out.chain.maxAllowedUids})`)
  return out
}

/** Registration defaults for a local subnet: about a second of hashing in a page, adjusting every 50 blocks. */
export const DEFAULT_REGISTRATION = {
  difficulty: '100000',
  minDifficulty: '1000',
  maxDifficulty: '10000000000',
  adjustmentInterval: 50,
  targetRegistrationsPerInterval: 4,
  adjustmentAlpha: '0',
  maxRegistrationsPerBlock: 1,
  immunityPeriod: 100,
} as const

export const DEFAULT_WEIGHT_RULES = { versionKey: '0', rateLimit: 3, minAllowedWeights: 1, maxWeightLimit: 65535, revealPeriodEpochs: 1 } as const

function known(o: Json, field: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ManifestError(`${field}.${k}`, `is not a known field (${keys.join(', ')})`)
}

function parseRegistration(v: unknown): SubnetManifest['chain']['registration'] {
  const r = { ...DEFAULT_REGISTRATION, ...obj(v, 'chain.registration') }
  known(r, 'chain.registration', Object.keys(DEFAULT_REGISTRATION))
  const out = {
    difficulty: u64(r.difficulty, 'chain.registration.difficulty'),
    minDifficulty: u64(r.minDifficulty, 'chain.registration.minDifficulty'),
    maxDifficulty: u64(r.maxDifficulty, 'chain.registration.maxDifficulty'),
    adjustmentInterval: int(r.adjustmentInterval, 'chain.registration.adjustmentInterval', 1, 65535),
    targetRegistrationsPerInterval: int(r.targetRegistrationsPerInterval, 'chain.registration.targetRegistrationsPerInterval', 1, 65535),
    adjustmentAlpha: u64(r.adjustmentAlpha, 'chain.registration.adjustmentAlpha'),
    maxRegistrationsPerBlock: int(r.maxRegistrationsPerBlock, 'chain.registration.maxRegistrationsPerBlock', 1, 65535),
    immunityPeriod: int(r.immunityPeriod, 'chain.registration.immunityPeriod', 0, 65535),
  }
  if (BigInt(out.minDifficulty) < 1n) throw new ManifestError('chain.registration.minDifficulty', 'must be at least 1')
  if (BigInt(out.minDifficulty) > BigInt(out.maxDifficulty)) throw new ManifestError('chain.registration.minDifficulty', 'must not exceed maxDifficulty')
  return out
}

function parseWeightRules(v: unknown): SubnetManifest['chain']['weights'] {
  const w = { ...DEFAULT_WEIGHT_RULES, ...obj(v, 'chain.weights') }
  known(w, 'chain.weights', Object.keys(DEFAULT_WEIGHT_RULES))
  return {
    versionKey: u64(w.versionKey, 'chain.weights.versionKey'),
    rateLimit: int(w.rateLimit, 'chain.weights.rateLimit', 0, 65535),
    minAllowedWeights: int(w.minAllowedWeights, 'chain.weights.minAllowedWeights', 0, 65535),
    maxWeightLimit: int(w.maxWeightLimit, 'chain.weights.maxWeightLimit', 1, 65535),
    revealPeriodEpochs: int(w.revealPeriodEpochs, 'chain.weights.revealPeriodEpochs', 1, 255),
  }
}

function parseTask(v: unknown): TaskConfig {
  const t = obj(v, 'task')
  if (t.name === 'text-generation') {
    return {
      name: 'text-generation',
      maxNewTokens: int(t.maxNewTokens, 'task.maxNewTokens', 1, 1024),
      // 0 = greedy; above 2 the text is noise and boundaries between tokens are everywhere.
      temperature: num(t.temperature, 'task.temperature', 0, 2),
      promptWords: int(t.promptWords, 'task.promptWords', 4, 64),
      logprobTolerance: num(t.logprobTolerance, 'task.logprobTolerance', 0, 1),
      choiceTolerance: num(t.choiceTolerance, 'task.choiceTolerance', 0, 0.1),
    }
  }
  if (t.name === 'embedding') {
    return {
      name: 'embedding',
      texts: int(t.texts, 'task.texts', 1, 64),
      wordsPerText: int(t.wordsPerText, 'task.wordsPerText', 4, 64),
      minCosine: num(t.minCosine, 'task.minCosine', 0, 1),
    }
  }
  throw new ManifestError('task.name', 'must be "text-generation" or "embedding"')
}

function oneOfDtype(v: unknown): ModelDtype {
  if (typeof v !== 'string' || !(MODEL_DTYPES as readonly string[]).includes(v)) throw new ManifestError('model.dtype', `must be one of ${MODEL_DTYPES.join(', ')}, got ${show(v)}`)
  return v as ModelDtype
}

function parseIntegrity(v: unknown): ManifestModelIntegrity {
  const files = obj(obj(v, 'model.integrity').files, 'model.integrity.files')
  const out: ManifestModelIntegrity = { files: {} }
  for (const [path, f] of Object.entries(files)) {
    const e = obj(f, `model.integrity.files["${path}"]`)
    const sha = str(e.sha256, `model.integrity.files["${path}"].sha256`)
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new ManifestError(`model.integrity.files["${path}"].sha256`, 'must be 64 hex digits')
    out.files[path] = { size: int(e.size, `model.integrity.files["${path}"].size`, 0, Number.MAX_SAFE_INTEGER), sha256: sha }
  }
  return out
}

/** An amount in rao (u64): a JS number (safe integer), a bigint, or a decimal string. */
export type Rao = number | bigint | string

/** One sparse matrix row as stored on chain: `[uid, u16]` pairs, storage order kept. */
export type SparseRowU16 = Array<[number, number]>

/** Subnet hyperparameters the epoch reads; every field overrides the chain default. */
export interface YumaHyperparams {
  /** u16, default 32767 (≈ 0.5). */
  kappa?: number
  /** u16, default 65535 (= 1). */
  bonds_penalty?: number
  /** 0..1_000_000, default 900_000. */
  bonds_moving_average?: number
  /** Yuma3 bonds (absolute EMA); default false. */
  yuma3?: boolean
  /** Liquid alpha (only used with yuma3); default false. */
  liquid_alpha?: boolean
  /** u16, default 45875 (0.7). */
  alpha_low?: number
  /** u16, default 58982 (0.9). */
  alpha_high?: number
  /** i16, default 1000. */
  alpha_sigmoid_steepness?: number
  /** u16, default 128. */
  max_allowed_validators?: number
  /** rao, default 0. */
  stake_threshold?: Rao
  /** u16 blocks, default 360. */
  tempo?: number
  /** Explicit activity cutoff in blocks (legacy `ActivityCutoff`); excludes the factor. */
  activity_cutoff?: number
  /** u32 per-mille of tempo, default 13_889 (5000 blocks at tempo 360). */
  activity_cutoff_factor_milli?: number
  /** Commit-reveal mask enabled; default true (it only bites where `commit_blocks` has entries). */
  commit_reveal?: boolean
}

/** One epoch's input: the chain state `epoch_mechanism` reads. Field names follow docs/yuma-format.md. */
export interface EpochInput {
  n: number
  block: number
  /** Rao emitted to this mechanism in this epoch. */
  emission: Rao
  /** Total stake per uid in rao; or give `alpha_stake` + `tao_stake` + `tao_weight` instead. */
  stake?: Rao[]
  alpha_stake?: Rao[]
  tao_stake?: Rao[]
  /** u64 as stored in `TaoWeight` (proportion × u64::MAX). */
  tao_weight?: Rao
  /** Stored `ValidatorPermit` (last epoch's new permits). */
  validator_permit: boolean[]
  last_update: number[]
  block_at_registration: number[]
  /** Sparse weight rows `[uid, u16]` exactly as stored (explicit zeros and order kept). */
  weights: SparseRowU16[]
  /** Sparse bond rows as stored (u16), or null for none. */
  bonds?: SparseRowU16[] | null
  owner_uid?: number | null
  /** `LastMechansimStepBlock`; 0 (default) means "use block - tempo". */
  last_mechanism_step_block?: number
  /** Earliest unexpired commit block per uid (null = none), or null. */
  commit_blocks?: Array<number | null> | null
  hyperparams?: YumaHyperparams
}

/** The epoch's u16 outputs as the chain stores them (`floor(x * 65535)`). */
export interface EpochU16 {
  stake_weight: number[]
  consensus: number[]
  incentive: number[]
  dividends: number[]
  validator_trust: number[]
}

/**
 * One epoch's result. Proportions are numbers (in exact mode each is the I32F32 value, exactly
 * representable as a double); rao amounts are decimal strings (u64 does not fit a double).
 */
export interface EpochOutput {
  n: number
  stake: number[]
  active_stake: number[]
  consensus: number[]
  validator_trust: number[]
  /** Un-normalised ranks `sum_i active_stake_i * clipped_w_ij` (incentive is their normalisation). */
  ranks: number[]
  incentive: number[]
  dividends: number[]
  active: boolean[]
  new_validator_permit: boolean[]
  /** Bond rows as the chain stores them: a row for each new permit holder, `[]` for everyone else. */
  bonds_u16: SparseRowU16[]
  server_emission: string[]
  validator_emission: string[]
  combined_emission: string[]
  u16: EpochU16
}

export type EpochMode = 'exact' | 'fast'

export interface EpochOptions {
  /** `exact` (default) emulates the chain's fixed point; `fast` is float64. */
  mode?: EpochMode
}

/** A step of a sequence: overrides for the next epoch, plus an optional bond reset. */
export type EpochStep = Partial<EpochInput> & { reset_bonds_for_uid?: number }

export interface EpochSequence {
  initial: EpochInput
  steps: EpochStep[]
}

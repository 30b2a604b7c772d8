import type { Behaviour, Scenario, SimulationMode } from './scenario.ts'

/**
 * What a simulation mode hands the report: per-epoch series by behaviour, and per-peer means over
 * the windows the expectations read. Math mode fills it from simulated scores; exact mode will
 * fill the same shape from a real relay, owner and peers (and add latency, delivery and digests).
 */
export interface RunSeries {
  /** Epoch number (1-based) and the block it ran at. */
  epoch: number[]
  block: number[]
  /** Share of the epoch's incentive (sums to 1 over behaviours when anyone has weights). */
  incentive: Record<string, number[]>
  /** Share of the epoch's dividends. */
  dividends: Record<string, number[]>
  /** Emission in TAO per epoch. */
  emission: Record<string, number[]>
  /** Mean validator trust of that behaviour's uids (validator behaviours only). */
  validatorTrust: Record<string, number[]>
  /** Uids held by each behaviour (the owner as `owner`). */
  uids: Record<string, number[]>
  /** Registrations and prunings during the epoch. */
  registrations: number[]
  pruned: number[]
  /** Peers running (the owner and the cast; a Sybil flood's identities are not peers). */
  peersOnline: number[]
  /** Median answer latency (ms) by miner behaviour, and the share of queries answered: exact mode only. */
  latencyMs: Record<string, number[]> | null
  delivery: number[] | null
}

/** Per-peer means over epochs `fromEpoch…end` (0-based epochs). */
export interface PeerWindow {
  fromEpoch: number
  epochs: number
  /** Mean per-epoch share of incentive, dividends and emission (0 in epochs without a uid). */
  incentive: number[]
  dividends: number[]
  emission: number[]
  /** Mean validator trust over the epochs it held a uid; null if it never did. */
  validatorTrust: (number | null)[]
}

/** A behaviour's figures over a whole run. */
export interface BehaviourSummary {
  peers: number
  /** Mean per-epoch share of incentive and dividends, summed over the behaviour's peers. */
  incentive: number
  dividends: number
  /** TAO over the run. */
  emissionTao: number
  /** Mean validator trust (validators), null otherwise. */
  validatorTrust: number | null
  /** Dividends share over stake share: 1 = paid in proportion to stake (validators), null otherwise. */
  relativeDividends: number | null
}

/** One run of the scenario: the base hyperparameters or one variant. */
export interface RunResult {
  name: string
  /** The Yuma hyperparameters this run used (manifest + variant; tempo included). */
  hyperparams: Record<string, number | boolean>
  series: RunSeries
  /** Peer index → its behaviour, cast group, and whether it was up at the end (not killed for good). */
  peers: { behaviour: Behaviour; group: number; survived: boolean }[]
  windows: PeerWindow[]
  summary: Record<string, BehaviourSummary>
  /** Exact mode: each surviving peer's epoch digests (null in math mode). */
  digestsAgree: boolean | null
  /** Exact mode with `owner-forges-epoch`: the forged epoch and what the log verifier made of it (absent otherwise). */
  forgery?: ForgeryCheck
  /** Exact mode with tab peers: what the tabs did (null or absent otherwise). */
  tabs?: TabFigures | null
}

/** The owner's forged epoch (exact mode) and whether verifying the signed log catches it. */
export interface ForgeryCheck {
  /** The run's epoch (0-based) and the chain's epoch number the owner forged. */
  epoch: number
  chainEpoch: number
  /** The log entry of the forged epoch (owner-signed, with the forged result digest). */
  seq: number
  /** True when the verifier's first divergence is exactly that entry. */
  detected: boolean
  /** The verifier's first divergence (null: the whole log verified). */
  divergence: { seq: number; reason: string; detail: string } | null
  /** Peers (surviving, of those that heard the epoch) that received the forged result over gossip: Node peers do not re-derive epochs. */
  peersWithForged: number
  peersHeard: number
}

/** The tab peers of an exact run (cast groups with `"in": "tab"`). */
export interface TabFigures {
  /** Tabs with their page open, per epoch. */
  online: number[]
  /** Share of the epoch's incentive and dividends held by the tabs, per epoch, by behaviour. */
  incentive: Record<string, number[]>
  dividends: Record<string, number[]>
  /** Each tab: its cast peer, behaviour, hotkey, and mean incentive and dividend share per epoch over the run. */
  peers: { peer: number; behaviour: Behaviour; hotkey: string; incentive: number; dividends: number }[]
}

export interface SimulationResult {
  scenario: Scenario
  mode: SimulationMode
  runs: RunResult[]
  /** What this mode approximated or left out, in words (shown in the report). */
  notes: string[]
  /** Measured around the run; not part of the figures. */
  resources: { wallMs: number; epochsPerSecond: number }
}

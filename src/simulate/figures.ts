/**
 * The figures of one run, epoch by epoch: per-behaviour series, per-peer windows for the
 * expectations, and the summary. Math mode and exact mode both feed it one epoch at a time, so
 * their reports mean the same thing. Pure.
 */
import type { BehaviourSummary, PeerWindow, RunSeries } from './run.ts'
import { isValidatorBehaviour, type Behaviour } from './scenario.ts'

const RAO_PER_TAO = 1e9

/** One uid holder (not the owner) in one epoch: raw Yuma values (any scale), emission in rao, trust in 0..1. */
export interface HolderFigures {
  /** Peer index in the cast. */
  peer: number
  incentive: number
  dividends: number
  emissionRao: number
  validatorTrust: number
  stake: number
}

export interface EpochFigures {
  /** 0-based epoch of the run. */
  epoch: number
  block: number
  holders: HolderFigures[]
  registrations: number
  pruned: number
  peersOnline: number
  /** Exact mode: median latency (ms) per miner behaviour, and the share of queries answered. */
  latencyMs?: Record<string, number>
  delivery?: number
}

function sum(xs: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < xs.length; i++) s += xs[i]!
  return s
}

/**
 * Accumulates a run's figures.
 * @example const book = new FigureBook(peers.map((p) => p.behaviour), behaviours, [0, 2]); book.add(epochFigures)
 */
export class FigureBook {
  readonly series: RunSeries
  private readonly validatorBehaviours: Behaviour[]
  private readonly acc: { fromEpoch: number; epochs: number; incentive: Float64Array; dividends: Float64Array; emission: Float64Array; trust: Float64Array; trustEpochs: Float64Array }[]
  private readonly stakeShare: Record<string, number>

  /**
   * @param peerBehaviours the behaviour of each peer of the cast, by peer index
   * @param behaviours the behaviours that hold uids (series are kept for these)
   * @param windowStarts the 0-based epochs the expectations' windows start at
   * @param exact whether latency and delivery series are kept (exact mode)
   */
  constructor(
    private readonly peerBehaviours: readonly Behaviour[],
    private readonly behaviours: readonly Behaviour[],
    windowStarts: readonly number[],
    exact = false,
  ) {
    this.validatorBehaviours = behaviours.filter(isValidatorBehaviour)
    const per = (list: readonly string[]): Record<string, number[]> => Object.fromEntries(list.map((b) => [b, []]))
    this.series = {
      epoch: [],
      block: [],
      incentive: per(behaviours),
      dividends: per(behaviours),
      emission: per(behaviours),
      validatorTrust: per(this.validatorBehaviours),
      uids: per(['owner', ...behaviours]),
      registrations: [],
      pruned: [],
      peersOnline: [],
      latencyMs: exact ? per(behaviours.filter((b) => !isValidatorBehaviour(b))) : null,
      delivery: exact ? [] : null,
    }
    const n = peerBehaviours.length
    this.acc = [...new Set([0, ...windowStarts])]
      .sort((a, b) => a - b)
      .map((fromEpoch) => ({ fromEpoch, epochs: 0, incentive: new Float64Array(n), dividends: new Float64Array(n), emission: new Float64Array(n), trust: new Float64Array(n), trustEpochs: new Float64Array(n) }))
    this.stakeShare = Object.fromEntries(behaviours.map((b) => [b, 0]))
  }

  /** Adds one epoch's figures. */
  add(e: EpochFigures): void {
    const { holders } = e
    let totalIncentive = 0
    let totalDividends = 0
    let totalEmission = 0
    let validatorStake = 0
    for (const h of holders) {
      totalIncentive += h.incentive
      totalDividends += h.dividends
      totalEmission += h.emissionRao
      if (isValidatorBehaviour(this.peerBehaviours[h.peer]!)) validatorStake += h.stake
    }
    const zero = (): Record<string, number> => Object.fromEntries(this.behaviours.map((b) => [b, 0]))
    const inc = zero()
    const div = zero()
    const emi = zero()
    const uidCount: Record<string, number> = { owner: 1, ...zero() }
    const trust: Record<string, number> = Object.fromEntries(this.validatorBehaviours.map((b) => [b, 0]))
    const trustN: Record<string, number> = { ...trust }
    for (const h of holders) {
      const b = this.peerBehaviours[h.peer]!
      const ij = totalIncentive > 0 ? h.incentive / totalIncentive : 0
      const dj = totalDividends > 0 ? h.dividends / totalDividends : 0
      const ej = totalEmission > 0 ? h.emissionRao / totalEmission : 0
      inc[b] = (inc[b] ?? 0) + ij
      div[b] = (div[b] ?? 0) + dj
      emi[b] = (emi[b] ?? 0) + h.emissionRao / RAO_PER_TAO
      uidCount[b] = (uidCount[b] ?? 0) + 1
      if (isValidatorBehaviour(b)) {
        trust[b]! += h.validatorTrust
        trustN[b]! += 1
        if (validatorStake > 0) this.stakeShare[b]! += h.stake / validatorStake
      }
      for (const w of this.acc) {
        if (e.epoch < w.fromEpoch) continue
        w.incentive[h.peer]! += ij
        w.dividends[h.peer]! += dj
        w.emission[h.peer]! += ej
        if (isValidatorBehaviour(b)) {
          w.trust[h.peer]! += h.validatorTrust
          w.trustEpochs[h.peer]! += 1
        }
      }
    }
    for (const w of this.acc) if (e.epoch >= w.fromEpoch) w.epochs++
    const s = this.series
    s.epoch.push(e.epoch + 1)
    s.block.push(e.block)
    for (const b of this.behaviours) {
      s.incentive[b]!.push(inc[b]!)
      s.dividends[b]!.push(div[b]!)
      s.emission[b]!.push(emi[b]!)
      s.uids[b]!.push(uidCount[b]!)
    }
    s.uids.owner!.push(1)
    for (const b of this.validatorBehaviours) s.validatorTrust[b]!.push(trustN[b]! > 0 ? trust[b]! / trustN[b]! : 0)
    s.registrations.push(e.registrations)
    s.pruned.push(e.pruned)
    s.peersOnline.push(e.peersOnline)
    if (s.latencyMs !== null) for (const [b, xs] of Object.entries(s.latencyMs)) xs.push(e.latencyMs?.[b] ?? 0)
    s.delivery?.push(e.delivery ?? 0)
  }

  /** Per-peer means over each window. */
  windows(): PeerWindow[] {
    return this.acc.map((w) => ({
      fromEpoch: w.fromEpoch,
      epochs: w.epochs,
      incentive: Array.from(w.incentive, (x) => (w.epochs > 0 ? x / w.epochs : 0)),
      dividends: Array.from(w.dividends, (x) => (w.epochs > 0 ? x / w.epochs : 0)),
      emission: Array.from(w.emission, (x) => (w.epochs > 0 ? x / w.epochs : 0)),
      validatorTrust: Array.from(w.trust, (x, i) => (w.trustEpochs[i]! > 0 ? x / w.trustEpochs[i]! : null)),
    }))
  }

  /** Per-behaviour figures over the run. */
  summary(): Record<string, BehaviourSummary> {
    const epochs = this.series.epoch.length
    const out: Record<string, BehaviourSummary> = {}
    const mean = (xs: number[]): number => (xs.length === 0 ? 0 : sum(xs) / xs.length)
    for (const b of this.behaviours) {
      const validator = isValidatorBehaviour(b)
      const dividends = mean(this.series.dividends[b]!)
      out[b] = {
        peers: this.peerBehaviours.filter((x) => x === b).length,
        incentive: mean(this.series.incentive[b]!),
        dividends,
        emissionTao: sum(this.series.emission[b]!),
        validatorTrust: validator ? mean(this.series.validatorTrust[b]!) : null,
        relativeDividends: validator && this.stakeShare[b]! > 0 ? (dividends * epochs) / this.stakeShare[b]! : null,
      }
    }
    return out
  }
}

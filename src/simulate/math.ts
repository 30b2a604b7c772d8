import { runEpoch, type EpochInput, type EpochOutput, type SparseRowU16 } from '../scoring/index.ts'
import { maxUpscaleU16 } from '../scoring/weights.ts'
import { latencyFactor } from '../subnet/tasks/latency.ts'
import { clamp01, Rng } from './rng.ts'
import type { RunResult, SimulationResult } from './run.ts'
import { FigureBook, type HolderFigures } from './figures.ts'
import { isMinerBehaviour, isValidatorBehaviour, runHyperparams, type Behaviour, type CastGroup, type Scenario, type Variant } from './scenario.ts'

const RAO_PER_TAO = 1e9
const NO_UID = -1
/** Behaviours whose answers the real validator scores 0 (its own model disagrees, or the nonce does). */
const ZERO_SCORE: ReadonlySet<Behaviour> = new Set(['answer-table', 'copier', 'different-model', 'invented-logprobs', 'sybil-flood'])

/** Progress of a run, for a progress line. */
export interface MathProgress {
  run: string
  runIndex: number
  runs: number
  epoch: number
  epochs: number
  uids: number
  /** Exact mode: peers running now (the owner and the cast, as the report's peersOnline), and the tabs of them (out of the cast's tabs). */
  online?: { peers: number; tabs: number; tabsTotal: number }
}

export interface MathOptions {
  /** Called after every epoch (cheap; the CLI throttles its printing). */
  onEpoch?: (p: MathProgress) => void
  /** A clock for the resources line (default `performance.now`). */
  now?: () => number
}

interface Peer {
  behaviour: Behaviour
  group: number
  /** Index of the peer within its cast group (staggers churn). */
  member: number
  stakeRao: number
  uid: number
  quality: number
  /** Epoch until which it is killed (exclusive); -1 = alive. */
  deadUntil: number
  queued: boolean
  /** Validators: moving score per uid (NaN = none yet). */
  scores: Float64Array | null
  /** Validators under commit-reveal: the row committed and not yet revealed. */
  pending: SparseRowU16 | null
  /** weight-copier: the peer it copies. */
  copies: number
}

interface Neuron {
  /** Peer index, or -1 for the owner. */
  peer: number
  registeredAt: number
  lastUpdate: number
  stake: number
  permit: boolean
  weights: SparseRowU16
  bonds: SparseRowU16
  /** Rao earned in the last epoch: what pruning compares. */
  emission: number
}

/**
 * subtensor's `get_neuron_to_prune`, as `LocalChain.neuronToPrune` has it: the non-immune uid
 * with the least emission (then the earliest registration, then the lowest uid); when every uid is
 * immune, the immune one by the same order; never the owner's. Mirrored on plain records here
 * because the local chain keeps its neurons private behind real proof-of-work registration.
 */
export function neuronToPrune(neurons: readonly { emission: number; registeredAt: number; owner: boolean }[], block: number, immunityPeriod: number): number | null {
  let best = -1
  let bestImmune = -1
  const better = (a: number, b: number): boolean => {
    if (b < 0) return true
    const x = neurons[a]!
    const y = neurons[b]!
    return x.emission !== y.emission ? x.emission < y.emission : x.registeredAt !== y.registeredAt ? x.registeredAt < y.registeredAt : a < b
  }
  for (let uid = 0; uid < neurons.length; uid++) {
    const n = neurons[uid]!
    if (n.owner) continue
    if (block - n.registeredAt < immunityPeriod) {
      if (better(uid, bestImmune)) bestImmune = uid
    } else if (better(uid, best)) best = uid
  }
  const pick = best >= 0 ? best : bestImmune
  return pick >= 0 ? pick : null
}

/** The chain row a validator's scores make: uids with a positive score, max-upscaled to u16. */
function rowFromScores(uids: number[], values: number[]): SparseRowU16 {
  const w = maxUpscaleU16(values)
  const row: SparseRowU16 = []
  for (let k = 0; k < uids.length; k++) if (w[k]! > 0) row.push([uids[k]!, w[k]!])
  return row
}

/**
 * One run of a scenario in math mode: simulated peers, real Yuma (fast float mode) on the chain
 * state they make, epoch after epoch.
 */
function runOnce(scenario: Scenario, variant: Variant, runIndex: number, runs: number, options: MathOptions): RunResult {
  const { manifest, tempo, epochs, seed } = scenario
  const hyperparams = runHyperparams(manifest.hyperparams, variant.hyperparams, tempo)
  const commitReveal = hyperparams.commit_reveal === true
  const reg = manifest.chain.registration
  const v = manifest.validation
  const maxUids = manifest.chain.maxAllowedUids
  const emissionPerEpoch = (BigInt(manifest.chain.emissionPerBlock) * BigInt(tempo)).toString()
  // Queries a validator sends each miner per epoch, and the moving average's weight on one epoch.
  const queries = Math.max(1, Math.round((tempo * manifest.chain.blockTimeMs) / v.queryIntervalMs))
  const epochAlpha = 1 - (1 - v.scoreAlpha) ** queries
  const latency = { targetMs: v.latencyTargetMs, timeoutMs: v.responseTimeoutMs }

  const qualityRng = Rng.stream(seed, 'quality')
  const observeRng = Rng.stream(seed, 'observe')
  const randomRng = Rng.stream(seed, 'random-weights')
  const faultRng = Rng.stream(seed, 'faults')

  // The cast, peer by peer.
  const peers: Peer[] = []
  scenario.cast.forEach((g: CastGroup, group) => {
    for (let m = 0; m < g.count; m++) {
      const validator = isValidatorBehaviour(g.behaviour)
      peers.push({
        behaviour: g.behaviour,
        group,
        member: m,
        stakeRao: Math.round(g.stake * RAO_PER_TAO),
        uid: NO_UID,
        quality: g.quality === undefined ? 0 : qualityRng.between(g.quality[0], g.quality[1]),
        deadUntil: -1,
        queued: false,
        scores: validator ? new Float64Array(maxUids).fill(NaN) : null,
        pending: null,
        copies: -1,
      })
    }
  })
  for (const [i, p] of peers.entries()) {
    if (p.behaviour !== 'weight-copier') continue
    const target = scenario.cast[p.group]!.target
    let best = -1
    for (const [j, q] of peers.entries()) if (j !== i && q.behaviour === target && (best < 0 || q.stakeRao > peers[best]!.stakeRao)) best = j
    p.copies = best
  }

  // Genesis: the owner is uid 0, then validators, then miners (subtensor registers the owner's hotkey first).
  const neurons: Neuron[] = [{ peer: -1, registeredAt: 0, lastUpdate: 0, stake: 0, permit: true, weights: [], bonds: [], emission: 0 }]
  const takesUid = (p: Peer): boolean => isValidatorBehaviour(p.behaviour) || isMinerBehaviour(p.behaviour)
  /** Registered at genesis, and registering again when pruned: every uid holder but a Sybil flood's identities. */
  const hasUid = (p: Peer): boolean => takesUid(p) && p.behaviour !== 'sybil-flood'
  for (const validatorsFirst of [true, false]) {
    for (const [i, p] of peers.entries()) {
      if (!hasUid(p) || isValidatorBehaviour(p.behaviour) !== validatorsFirst) continue
      p.uid = neurons.length
      neurons.push({ peer: i, registeredAt: 0, lastUpdate: 0, stake: p.stakeRao, permit: validatorsFirst, weights: [], bonds: [], emission: 0 })
    }
  }

  // Behaviours that hold uids (a query flooder and a forging owner have none in math mode).
  const behaviours = [...new Set(peers.filter(takesUid).map((p) => p.behaviour))]
  const book = new FigureBook(peers.map((p) => p.behaviour), behaviours, scenario.expectations.map((e) => e.fromEpoch))

  // Faults on the timeline.
  let partition: { groups: number; until: number } | null = null
  let relayDownAt = -1
  const groupOf = (peer: number): number => (partition === null || peer < 0 ? 0 : (peer % partition.groups))
  const online = (peer: number, epoch: number): boolean => {
    if (peer < 0) return true
    const p = peers[peer]!
    if (p.deadUntil > epoch) return false
    if (p.behaviour === 'churn') return churnOnline(scenario.cast[p.group]!, p.member, epoch)
    return true
  }

  // Registration limits (subtensor's per block and per adjustment interval).
  const queue: number[] = []
  let intervalStart = 0
  let registrationsThisInterval = 0
  const sybilCursor = new Map<number, number>()

  let lastStepBlock = 0
  for (let epoch = 0; epoch < epochs; epoch++) {
    const start = epoch * tempo
    const block = start + tempo
    for (const f of scenario.faults) {
      if (f.atEpoch !== epoch) continue
      if (f.kind === 'kill') {
        const alive = peers.map((p, i) => (p.deadUntil <= epoch && p.behaviour !== 'sybil-flood' ? i : -1)).filter((i) => i >= 0)
        for (const k of faultRng.sample(alive.length, Math.round(f.share * alive.length))) peers[alive[k]!]!.deadUntil = f.forEpochs === null ? Infinity : epoch + f.forEpochs
      } else if (f.kind === 'restart-relay') relayDownAt = epoch
      else partition = { groups: f.groups, until: epoch + f.forEpochs }
    }
    if (partition !== null && epoch >= partition.until) partition = null
    const reachOwner = (peer: number): boolean => relayDownAt !== epoch && groupOf(peer) === 0

    // Reveals of last epoch's commits land first (commit-reveal on).
    if (commitReveal) {
      for (const [i, p] of peers.entries()) {
        if (p.pending === null || p.uid === NO_UID || !online(i, epoch) || !reachOwner(i)) continue
        neurons[p.uid]!.weights = p.pending
        p.pending = null
      }
    }

    // Registrations: peers that lost their uid come back; a Sybil flood keeps trying.
    for (const [i, p] of peers.entries()) {
      if (p.uid === NO_UID && !p.queued && hasUid(p) && online(i, epoch) && reachOwner(i)) {
        queue.push(i)
        p.queued = true
      }
    }
    for (const [group, g] of scenario.cast.entries()) {
      if (g.behaviour !== 'sybil-flood' || epoch < g.fromEpoch!) continue
      const ids = peers.map((p, i) => (p.group === group ? i : -1)).filter((i) => i >= 0)
      let queued = ids.filter((i) => peers[i]!.queued).length
      let cursor = sybilCursor.get(group) ?? 0
      for (let tried = 0; tried < ids.length && queued < g.perEpoch!; tried++) {
        const i = ids[cursor % ids.length]!
        cursor++
        if (peers[i]!.uid === NO_UID && !peers[i]!.queued) {
          queue.push(i)
          peers[i]!.queued = true
          queued++
        }
      }
      sybilCursor.set(group, cursor)
    }
    let registrations = 0
    let pruned = 0
    for (let b = start + 1; b <= block && queue.length > 0; b++) {
      if (b - intervalStart >= reg.adjustmentInterval) {
        intervalStart = b
        registrationsThisInterval = 0
      }
      for (let k = 0; k < reg.maxRegistrationsPerBlock && queue.length > 0 && registrationsThisInterval < reg.targetRegistrationsPerInterval * 3; k++) {
        const i = queue.shift()!
        const p = peers[i]!
        p.queued = false
        let uid: number
        if (neurons.length < maxUids) {
          uid = neurons.length
          neurons.push({ peer: i, registeredAt: b, lastUpdate: b, stake: 0, permit: false, weights: [], bonds: [], emission: 0 })
        } else {
          const prune = neuronToPrune(neurons.map((n) => ({ emission: n.emission, registeredAt: n.registeredAt, owner: n.peer < 0 })), b, reg.immunityPeriod)
          if (prune === null) break
          uid = prune
          const old = neurons[uid]!
          if (old.peer >= 0) peers[old.peer]!.uid = NO_UID
          neurons[uid] = { peer: i, registeredAt: b, lastUpdate: b, stake: 0, permit: false, weights: [], bonds: [], emission: 0 }
          // subtensor's clear_neuron: weights on the uid become 0; others' bonds on it stay (Yuma masks them).
          for (const n of neurons) n.weights = n.weights.map(([u, w]) => [u, u === uid ? 0 : w] as [number, number])
          for (const q of peers) if (q.pending !== null) q.pending = q.pending.map(([u, w]) => [u, u === uid ? 0 : w] as [number, number])
          pruned++
        }
        p.uid = uid // with no stake: the local chain starts a (re-)registered hotkey at 0
        registrations++
        registrationsThisInterval++
      }
    }

    // Each miner's true score this epoch, per uid.
    const n = neurons.length
    const minerScore = new Float64Array(n)
    const isMinerUid = new Uint8Array(n)
    const latencyNow = new Float64Array(peers.length)
    for (const [i, p] of peers.entries()) {
      if (p.uid === NO_UID || !isMinerBehaviour(p.behaviour)) continue
      const g = scenario.cast[p.group]!
      if (g.changeEvery !== undefined && g.changeEvery !== null && epoch > 0 && epoch % g.changeEvery === 0) p.quality = qualityRng.between(g.quality![0], g.quality![1])
      isMinerUid[p.uid] = 1
      if (ZERO_SCORE.has(p.behaviour)) continue
      let s = p.quality
      if (p.behaviour === 'slow') {
        latencyNow[i] = Math.max(0, g.latencyMs! * (1 + 0.1 * observeRng.normal()))
        s *= latencyFactor(latencyNow[i]!, latency)
      }
      minerScore[p.uid] = s
    }

    // Validators observe, score, and set weights (copiers after the ones they copy).
    const actBlock = block - 1
    const commitBlocks: (number | null)[] | null = commitReveal ? new Array<number | null>(n).fill(null) : null
    const order = peers.map((_, i) => i).filter((i) => isValidatorBehaviour(peers[i]!.behaviour))
    order.sort((a, b) => Number(peers[a]!.behaviour === 'weight-copier') - Number(peers[b]!.behaviour === 'weight-copier'))
    for (const i of order) {
      const p = peers[i]!
      if (p.uid === NO_UID || !online(i, epoch)) continue
      let row: SparseRowU16 | null = null
      if (p.behaviour === 'honest-validator') {
        const scores = p.scores!
        const uids: number[] = []
        const values: number[] = []
        for (let j = 0; j < n; j++) {
          if (!isMinerUid[j]) continue
          const mp = neurons[j]!.peer
          let obs = 0
          if (online(mp, epoch) && groupOf(mp) === groupOf(i)) {
            const miner = peers[mp]!
            let s = minerScore[j]!
            if (miner.behaviour === 'flaky') {
              // Each query is dropped with the miner's drop rate; a dropped query scores 0.
              const d = scenario.cast[miner.group]!.dropRate!
              let answered = 0
              for (let q = 0; q < queries; q++) if (observeRng.uniform() >= d) answered++
              s *= answered / queries
            }
            obs = s > 0 ? clamp01(s + scenario.cast[p.group]!.noise! * observeRng.normal()) : 0
          }
          const prev = scores[j]!
          scores[j] = Number.isNaN(prev) ? obs : (1 - epochAlpha) * prev + epochAlpha * obs
          if (scores[j]! > 0) {
            uids.push(j)
            values.push(scores[j]!)
          }
        }
        if (uids.length > 0) row = rowFromScores(uids, values)
      } else if (p.behaviour === 'random-weights') {
        const uids: number[] = []
        const values: number[] = []
        for (let j = 1; j < n; j++) {
          if (j === p.uid) continue
          uids.push(j)
          values.push(randomRng.uniform())
        }
        row = rowFromScores(uids, values)
      } else if (p.copies >= 0) {
        // What the chain shows of the target now: its revealed weights (under commit-reveal, last epoch's).
        const target = peers[p.copies]!
        if (target.uid !== NO_UID) row = neurons[target.uid]!.weights.filter(([u]) => u !== p.uid).map(([u, w]) => [u, w] as [number, number])
        if (row !== null && row.length === 0) row = null
      }
      if (row === null || !reachOwner(i)) continue
      const me = neurons[p.uid]!
      me.lastUpdate = actBlock
      if (commitReveal) {
        p.pending = row
        commitBlocks![p.uid] = actBlock
      } else me.weights = row
    }

    // Yuma.
    const bonds = neurons.map((x) => x.bonds)
    const input: EpochInput = {
      n,
      block,
      emission: emissionPerEpoch,
      // Stake grows with emission: past 2^53 rao a double is no longer a safe integer, so hand over a bigint.
      stake: neurons.map((x) => (Number.isSafeInteger(x.stake) ? x.stake : BigInt(Math.round(x.stake)))),
      validator_permit: neurons.map((x) => x.permit),
      last_update: neurons.map((x) => x.lastUpdate),
      block_at_registration: neurons.map((x) => x.registeredAt),
      weights: neurons.map((x) => x.weights),
      bonds,
      owner_uid: 0,
      last_mechanism_step_block: lastStepBlock,
      ...(commitBlocks === null ? {} : { commit_blocks: commitBlocks }),
      hyperparams,
    }
    const out: EpochOutput = runEpoch(input, { mode: 'fast' })
    lastStepBlock = block
    for (let j = 0; j < n; j++) {
      const x = neurons[j]!
      x.permit = out.new_validator_permit[j]!
      x.bonds = out.bonds_u16[j] ?? []
      x.emission = Number(out.combined_emission[j])
      x.stake += x.emission // emission lands as stake, as the local chain's coinbase does
    }

    // Figures.
    const holders: HolderFigures[] = []
    for (let j = 1; j < n; j++) {
      holders.push({ peer: neurons[j]!.peer, incentive: out.incentive[j]!, dividends: out.dividends[j]!, emissionRao: neurons[j]!.emission, validatorTrust: out.validator_trust[j]!, stake: out.stake[j]! })
    }
    book.add({
      epoch,
      block,
      holders,
      registrations,
      pruned,
      peersOnline: 1 + peers.reduce((s, p, i) => s + (p.behaviour !== 'sybil-flood' && online(i, epoch) ? 1 : 0), 0),
    })
    options.onEpoch?.({ run: variant.name, runIndex, runs, epoch: epoch + 1, epochs, uids: n })
  }

  return { name: variant.name, hyperparams, series: book.series, peers: peers.map((p) => ({ behaviour: p.behaviour, group: p.group, survived: p.deadUntil <= epochs - 1 })), windows: book.windows(), summary: book.summary(), digestsAgree: null }
}

/** What math mode leaves out or approximates, for this scenario (shown in the report). */
function mathNotes(scenario: Scenario): string[] {
  const notes = [
    'Math mode: miners are simulated (a true quality per miner; the real validator\'s score for each cheat), validators observe it with noise; Yuma runs in fast float mode on the chain state they make.',
  ]
  const has = (b: Behaviour): boolean => scenario.cast.some((g) => g.behaviour === b && g.count > 0)
  if (has('query-flooder')) notes.push('query-flooder: refused unread at every miner\'s door, so it changes no score here; exact mode measures the flood.')
  if (has('owner-forges-epoch')) notes.push('owner-forges-epoch: a forged epoch is caught by `webtensor verify` (exact mode); math mode does not model it.')
  if (has('sybil-flood')) notes.push('sybil-flood: registrations follow the chain\'s per-block and per-interval limits; the proof-of-work cost and difficulty rise are not modelled.')
  if (scenario.faults.some((f) => f.kind === 'restart-relay')) notes.push('restart-relay: approximated as one epoch in which no weights reach the owner.')
  if (scenario.faults.some((f) => f.kind === 'partition')) notes.push('partition: peers are split round-robin; validators score only miners in their group, and only group 0 (the owner\'s) sets weights.')
  if (scenario.expectations.some((e) => e.kind === 'same-digests')) notes.push('same-digests: exact mode only (math mode has one chain and no peers to disagree); skipped.')
  return notes
}

/**
 * Whether member `member` of a `churn` group is online in 0-based `epoch`: online `leaveEvery`
 * epochs, away `stayFor`, the group's members staggered over the cycle. Math and exact mode share it.
 * @example churnOnline({ behaviour: 'churn', count: 2, stake: 0, leaveEvery: 5, stayFor: 2 }, 1, 0) // true
 */
export function churnOnline(g: CastGroup, member: number, epoch: number): boolean {
  const cycle = g.leaveEvery! + g.stayFor!
  const offset = Math.floor((member * cycle) / Math.max(1, g.count))
  return (epoch + offset) % cycle < g.leaveEvery!
}

/**
 * Runs a scenario in math mode: the base hyperparameters, then each variant, with the same seed
 * (so every run sees the same miners, noise and faults).
 * @example const result = runMath(parseScenario(json, manifest))
 */
export function runMath(scenario: Scenario, options: MathOptions = {}): SimulationResult {
  const now = options.now ?? (() => performance.now())
  const started = now()
  const variants: Variant[] = [{ name: 'base', hyperparams: {} }, ...scenario.variants]
  const runs = variants.map((v, i) => runOnce(scenario, v, i, variants.length, options))
  const wallMs = now() - started
  return {
    scenario,
    mode: 'math',
    runs,
    notes: mathNotes(scenario),
    resources: { wallMs, epochsPerSecond: wallMs > 0 ? (scenario.epochs * runs.length * 1000) / wallMs : 0 },
  }
}

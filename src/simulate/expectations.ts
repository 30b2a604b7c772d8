import type { PeerWindow, RunResult, SimulationResult } from './run.ts'
import { describeExpectation, type Behaviour, type Expectation, type Metric } from './scenario.ts'

export type ExpectationStatus = 'pass' | 'fail' | 'skipped'

/** One expectation checked against one run. */
export interface ExpectationResult {
  /** Its index in the scenario's `expectations`. */
  index: number
  kind: Expectation['kind']
  description: string
  run: string
  status: ExpectationStatus
  /** The measured value (the worst peer's, for each-/below-all kinds); null when skipped. */
  measured: number | null
  /** What it was compared with (for below-all: the best of the other behaviour). */
  threshold: number | null
  /** Which peer, window and comparison, in words. */
  detail: string
}

function windowOf(run: RunResult, fromEpoch: number): PeerWindow {
  const w = run.windows.find((x) => x.fromEpoch === fromEpoch)
  if (w === undefined) throw new Error(`run ${run.name} kept no window from epoch ${fromEpoch}`)
  return w
}

/**
 * Each peer of `behaviour` with its window mean of `metric` (validator trust only where it held a
 * uid). With `survivorsOnly`, peers a fault killed for good are left out: "each honest miner
 * earns" means each one still running (a share, though, counts what every peer earned).
 */
function peerValues(run: RunResult, w: PeerWindow, behaviour: Behaviour, metric: Metric, survivorsOnly = true): { peer: number; value: number }[] {
  const out: { peer: number; value: number }[] = []
  for (const [peer, p] of run.peers.entries()) {
    if (p.behaviour !== behaviour || (survivorsOnly && !p.survived)) continue
    const value = metric === 'validator_trust' ? w.validatorTrust[peer] : w[metric][peer]
    if (value !== null && value !== undefined) out.push({ peer, value })
  }
  return out
}

/** " (3 killed left out)" when a fault killed peers of these behaviours for good. */
function leftOut(run: RunResult, ...behaviours: Behaviour[]): string {
  const k = run.peers.filter((p) => behaviours.includes(p.behaviour) && !p.survived).length
  return k > 0 ? ` (${k} killed left out)` : ''
}

const fmt = (x: number): string => (Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(4) : x.toExponential(2))

function check(e: Expectation, index: number, run: RunResult): ExpectationResult {
  const base = { index, kind: e.kind, description: describeExpectation(e), run: run.name }
  if (e.kind === 'same-digests') {
    if (run.digestsAgree === null) return { ...base, status: 'skipped', measured: null, threshold: null, detail: 'exact mode only: math mode runs one chain' }
    return { ...base, status: run.digestsAgree ? 'pass' : 'fail', measured: run.digestsAgree ? 1 : 0, threshold: 1, detail: run.digestsAgree ? 'every surviving peer agreed' : 'peers disagree on an epoch digest' }
  }
  if (e.kind === 'forgery-detected') {
    const f = run.forgery
    if (f === undefined) return { ...base, status: 'skipped', measured: null, threshold: null, detail: 'exact mode only: math mode does not model a forging owner' }
    const where = f.divergence === null ? 'the whole log verified' : `the verifier stops at entry ${f.divergence.seq} (${f.divergence.reason}): ${f.divergence.detail}`
    return { ...base, status: f.detected ? 'pass' : 'fail', measured: f.detected ? 1 : 0, threshold: 1, detail: `forged epoch ${f.chainEpoch} (run epoch ${f.epoch + 1}) at log entry ${f.seq}; ${where}; ${f.peersWithForged} of ${f.peersHeard} peers took the forged result from gossip` }
  }
  const w = windowOf(run, e.fromEpoch)
  const span = `epochs ${e.fromEpoch + 1}–${e.fromEpoch + w.epochs}`
  const label = (peer: number): string => {
    const p = run.peers[peer]!
    const member = run.peers.slice(0, peer).filter((q) => q.group === p.group).length
    return `${p.behaviour} #${member} (cast[${p.group}])`
  }
  if (w.epochs === 0) return { ...base, status: 'fail', measured: null, threshold: null, detail: `no epochs from epoch ${e.fromEpoch}` }
  switch (e.kind) {
    case 'share': {
      const value = peerValues(run, w, e.behaviour, e.metric, false).reduce((s, x) => s + x.value, 0)
      const ok = (e.atLeast === undefined || value >= e.atLeast) && (e.atMost === undefined || value <= e.atMost)
      const bound = e.atLeast !== undefined && (e.atMost === undefined || value < e.atLeast) ? e.atLeast : e.atMost!
      return { ...base, status: ok ? 'pass' : 'fail', measured: value, threshold: bound, detail: `mean share of ${e.metric} over ${span}: ${fmt(value)}` }
    }
    case 'each-below':
    case 'each-above': {
      const values = peerValues(run, w, e.behaviour, e.metric)
      if (values.length === 0) return { ...base, status: 'fail', measured: null, threshold: null, detail: `no ${e.behaviour} held a uid over ${span}` }
      const below = e.kind === 'each-below'
      const worst = values.reduce((a, b) => (below ? (b.value > a.value ? b : a) : b.value < a.value ? b : a))
      const bound = below ? e.below : e.above
      const ok = below ? worst.value < bound : worst.value > bound
      return { ...base, status: ok ? 'pass' : 'fail', measured: worst.value, threshold: bound, detail: `${below ? 'highest' : 'lowest'}: ${label(worst.peer)} with ${fmt(worst.value)} over ${span}${leftOut(run, e.behaviour)}` }
    }
    case 'below-all':
    case 'vtrust-below-all': {
      const metric: Metric = e.kind === 'vtrust-below-all' ? 'validator_trust' : e.metric
      const mine = peerValues(run, w, e.behaviour, metric)
      const theirs = peerValues(run, w, e.than, metric)
      if (mine.length === 0 || theirs.length === 0) return { ...base, status: 'fail', measured: null, threshold: null, detail: `no ${mine.length === 0 ? e.behaviour : e.than} held a uid over ${span}` }
      const top = mine.reduce((a, b) => (b.value > a.value ? b : a))
      const bottom = theirs.reduce((a, b) => (b.value < a.value ? b : a))
      return {
        ...base,
        status: top.value < bottom.value ? 'pass' : 'fail',
        measured: top.value,
        threshold: bottom.value,
        detail: `highest ${e.behaviour}: ${label(top.peer)} ${fmt(top.value)}; lowest ${e.than}: ${label(bottom.peer)} ${fmt(bottom.value)} (${metric.replace('_', ' ')}, ${span})${leftOut(run, e.behaviour, e.than)}`,
      }
    }
  }
}

/**
 * Checks every expectation of the scenario against the runs it names (`variant`: base by default,
 * `*` for all). Pure: the same result gives the same verdicts.
 */
export function evaluateExpectations(result: SimulationResult): ExpectationResult[] {
  const out: ExpectationResult[] = []
  for (const [index, e] of result.scenario.expectations.entries()) {
    for (const run of result.runs) if (e.variant === '*' || e.variant === run.name) out.push(check(e, index, run))
  }
  return out
}

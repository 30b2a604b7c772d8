import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseManifest } from '../subnet/manifest.ts'
import { BUILTIN_SCENARIOS, evaluateExpectations, neuronToPrune, parseScenario, runHyperparams, runMath } from './index.ts'

const ROOT = new URL('../..', import.meta.url).pathname
const base = parseManifest(JSON.parse(readFileSync(join(ROOT, 'subnets', 'default.json'), 'utf8')))
const builtin = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, 'subnets', 'scenarios', `${name}.json`), 'utf8'))

test('every built-in scenario passes its expectations in math mode', () => {
  for (const name of BUILTIN_SCENARIOS) {
    const result = runMath(parseScenario(builtin(name), base))
    const verdicts = evaluateExpectations(result)
    assert.ok(verdicts.length > 0, name)
    for (const v of verdicts) assert.notEqual(v.status, 'fail', `${name}: ${v.run}: ${v.description}: ${v.detail}`)
  }
})

test('a run is reproducible from its seed, and another seed changes it', () => {
  const json = builtin('cheaters')
  const a = runMath(parseScenario(json, base)).runs[0]!
  const b = runMath(parseScenario(json, base)).runs[0]!
  const c = runMath(parseScenario({ ...json, seed: 2 }, base)).runs[0]!
  assert.deepEqual(a.series, b.series)
  assert.deepEqual(a.windows, b.windows)
  assert.notDeepEqual(a.series.incentive, c.series.incentive)
})

test('the cheats the real validator scores 0 earn nothing; slow and flaky earn less than honest', () => {
  const run = runMath(parseScenario(builtin('cheaters'), base)).runs[0]!
  for (const b of ['answer-table', 'copier', 'different-model', 'invented-logprobs']) assert.equal(run.summary[b]!.incentive, 0, b)
  const perHonest = run.summary['honest-miner']!.incentive / run.summary['honest-miner']!.peers
  assert.ok(run.summary.slow!.incentive > 0 && run.summary.slow!.incentive < perHonest)
  assert.ok(run.summary.flaky!.incentive > 0 && run.summary.flaky!.incentive < perHonest)
  // A query flooder holds no uid in math mode, so it has no series.
  assert.equal(run.series.incentive['query-flooder'], undefined)
})

test('a weight copier matches its target when weights are public, and lags it under commit-reveal', () => {
  const json = {
    name: 'copy',
    epochs: 12,
    cast: [
      { behaviour: 'honest-validator', count: 1 },
      { behaviour: 'weight-copier', count: 1 },
      { behaviour: 'honest-miner', count: 6, quality: [0.1, 1], changeEvery: 1 },
    ],
    variants: [{ name: 'cr', hyperparams: { commit_reveal: true } }],
  }
  const [open, cr] = runMath(parseScenario(json, base)).runs
  const trust = (r: typeof open) => ({ honest: r!.series.validatorTrust['honest-validator']!, copier: r!.series.validatorTrust['weight-copier']! })
  const o = trust(open)
  // The same row every epoch: the same trust.
  for (let e = 0; e < 12; e++) assert.ok(Math.abs(o.honest[e]! - o.copier[e]!) < 1e-9, `epoch ${e + 1}`)
  assert.equal(cr!.hyperparams.commit_reveal, true)
  const c = trust(cr)
  assert.ok(c.copier.some((x, e) => Math.abs(x - c.honest[e]!) > 0.01), 'under commit-reveal the copier sets last epoch\'s revealed weights')
})

test('neuronToPrune: least emission among the non-immune, then earliest registration, then lowest uid; never the owner', () => {
  const n = (emission: number, registeredAt: number, owner = false) => ({ emission, registeredAt, owner })
  assert.equal(neuronToPrune([n(0, 0, true), n(5, 0), n(3, 0), n(3, 0)], 1000, 100), 2)
  assert.equal(neuronToPrune([n(0, 0, true), n(5, 0), n(3, 50), n(3, 10)], 1000, 100), 3)
  // uid 2 has less emission but is immune (registered 50 blocks ago, immunity 100).
  assert.equal(neuronToPrune([n(0, 0, true), n(5, 0), n(0, 950)], 1000, 100), 1)
  // Everyone immune: the immune one by the same order.
  assert.equal(neuronToPrune([n(0, 0, true), n(5, 990), n(1, 995)], 1000, 100), 2)
  assert.equal(neuronToPrune([n(0, 0, true)], 1000, 100), null)
})

test('runHyperparams: a variant that sets one activity cutoff drops the other', () => {
  assert.deepEqual(runHyperparams({ activity_cutoff: 5000, kappa: 1 }, { activity_cutoff_factor_milli: 2000 }, 10), { kappa: 1, activity_cutoff_factor_milli: 2000, tempo: 10 })
  assert.deepEqual(runHyperparams({ activity_cutoff: 5000 }, { yuma3: true }, 7), { activity_cutoff: 5000, yuma3: true, tempo: 7 })
})

test('a Sybil flood fills the free uids within the registration limits and never prunes an honest miner', () => {
  const s = parseScenario(builtin('sybil'), base)
  const run = runMath(s).runs[0]!
  const max = s.manifest.chain.maxAllowedUids
  const total = run.series.epoch.map((_, e) => Object.values(run.series.uids).reduce((t, xs) => t + xs[e]!, 0))
  assert.ok(total.every((t) => t <= max))
  assert.equal(Math.max(...total), max)
  assert.ok(run.series.pruned.some((p) => p > 0))
  assert.ok(run.series.uids['honest-miner']!.every((u) => u === 24))
  // At most 3 × targetRegistrationsPerInterval in any adjustment interval (5 epochs of 10 blocks here).
  const { adjustmentInterval, targetRegistrationsPerInterval } = s.manifest.chain.registration
  const epochsPerInterval = adjustmentInterval / s.tempo
  for (let e = 0; e + epochsPerInterval <= run.series.registrations.length; e += epochsPerInterval) {
    const regs = run.series.registrations.slice(e, e + epochsPerInterval).reduce((a, b) => a + b, 0)
    assert.ok(regs <= 3 * targetRegistrationsPerInterval, `epochs ${e + 1}…: ${regs}`)
  }
})

test('a kill fault takes its share of the peers down', () => {
  const s = parseScenario(builtin('chaos'), base)
  const result = runMath(s)
  const run = result.runs[0]!
  const kill = s.faults.find((f) => f.kind === 'kill')!
  const killed = run.peers.filter((p) => !p.survived).length
  assert.equal(killed, Math.round(0.3 * run.peers.length))
  // The owner and the cast, less the killed (and any churner away at the time).
  const upAfter = 1 + run.peers.length - killed
  assert.ok(run.series.peersOnline[kill.atEpoch - 1]! > upAfter)
  assert.ok(run.series.peersOnline.slice(kill.atEpoch).every((n) => n <= upAfter))
  // A share counts what every peer earned, the killed ones too; per-peer kinds leave them out.
  const [share, churn] = evaluateExpectations(result)
  assert.equal(share!.kind, 'share')
  assert.ok(Math.abs(share!.measured! - run.summary['honest-miner']!.incentive) < 1e-9)
  assert.match(churn!.detail, /killed left out/)
})

test('math mode runs at n = 4096 uids', () => {
  const s = parseScenario({
    name: 'n4096',
    epochs: 2,
    manifest: { chain: { maxAllowedUids: 4096 } },
    cast: [
      { behaviour: 'honest-validator', count: 64 },
      { behaviour: 'random-weights', count: 1 },
      { behaviour: 'honest-miner', count: 4000 },
      { behaviour: 'copier', count: 30 },
    ],
    expectations: [{ kind: 'each-below', behaviour: 'copier', below: 0.001 }],
  }, base)
  const result = runMath(s)
  const run = result.runs[0]!
  assert.equal(Object.values(run.series.uids).reduce((t, xs) => t + xs[1]!, 0), 4096)
  assert.ok(run.series.incentive['honest-miner']![1]! > 0.99)
  assert.deepEqual(evaluateExpectations(result).map((v) => v.status), ['pass'])
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { argmax, greedyCandidates, logSumExp, meanPoolNormalize, sampleCandidates, sampleIndex, topLogprobs } from './logprobs.ts'
import { Prng } from './prng.ts'

const row = Float32Array.from([0.5, 2, -1, 2, 7, 0, 3.25])

test('logSumExp matches the direct formula', () => {
  const direct = Math.log(Array.from(row).reduce((s, v) => s + Math.exp(v), 0))
  assert.ok(Math.abs(logSumExp(row) - direct) < 1e-12)
})

test('topLogprobs returns the k best in order, ties to the lower index, as log-probabilities', () => {
  const lse = logSumExp(row)
  const top = topLogprobs(row, 4)
  assert.deepEqual(top.map(([i]) => i), [4, 6, 1, 3])
  for (const [i, lp] of top) assert.ok(Math.abs(lp - (row[i] - lse)) < 1e-12)
  assert.equal(argmax(Float32Array.from([1, 3, 3])), 1)
  assert.equal(topLogprobs(row, 100).length, row.length)
})

test('sampleIndex is reproducible for a seed and follows the distribution', () => {
  const a = Array.from({ length: 50 }, ((rng) => () => sampleIndex(row, 1, rng))(new Prng(7)))
  const b = Array.from({ length: 50 }, ((rng) => () => sampleIndex(row, 1, rng))(new Prng(7)))
  assert.deepEqual(a, b)
  // At a tiny temperature sampling is greedy.
  const rng = new Prng(1)
  for (let i = 0; i < 20; i++) assert.equal(sampleIndex(row, 1e-3, rng), 4)
})

test('meanPoolNormalize averages unmasked rows and returns a unit vector', () => {
  const v = meanPoolNormalize([3, 0, 0, 4, 100, 100], [1, 1, 0], 3, 2)
  assert.ok(Math.abs(v[0] - 0.6) < 1e-12 && Math.abs(v[1] - 0.8) < 1e-12)
})

test('sampleCandidates picks exactly what sampleIndex picks, for any seed and row', () => {
  const seeded = new Prng(99)
  for (let trial = 0; trial < 300; trial++) {
    const r = Float32Array.from({ length: 64 }, () => (seeded.next() - 0.5) * 12)
    const t = 0.25 + seeded.next() * 1.5
    const a = new Prng(trial)
    const b = new Prng(trial)
    for (let step = 0; step < 5; step++) assert.equal(sampleCandidates(r, t, b, 1e-3)[0], sampleIndex(r, t, a))
  }
})

test('sampleCandidates lists a neighbour only when the draw is within the tolerance of its boundary', () => {
  // Two equal tokens: the boundary between them sits at half the mass.
  const two = Float32Array.from([0, 0, -1e4]) // the third has weight 0: never a candidate
  const draws = Array.from({ length: 2000 }, (_, i) => i)
  let ambiguous = 0
  for (const seed of draws) {
    const u = new Prng(seed).next() // the draw sampleCandidates will make, as a share of the mass
    const c = sampleCandidates(two, 1, new Prng(seed), 0.01)
    const nearBoundary = Math.abs(u - 0.5) < 0.01
    assert.equal(c.length, nearBoundary ? 2 : 1, `seed ${seed}, u ${u}`)
    if (nearBoundary) ambiguous++
  }
  // About 2% of draws fall within ±1% of the boundary.
  assert.ok(ambiguous > 10 && ambiguous < 80, `${ambiguous} ambiguous draws`)
  assert.deepEqual(sampleCandidates(two, 1, new Prng(1), 0).length, 1)
})

test('greedyCandidates: the argmax, then near-ties within the tolerance', () => {
  assert.deepEqual(greedyCandidates(Float32Array.from([1, 5, 4.9995, 5.1]), 1e-3), [3])
  assert.deepEqual(greedyCandidates(Float32Array.from([1, 5, 4.9995, 3]), 1e-3), [1, 2])
})

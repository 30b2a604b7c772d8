import { test } from 'node:test'
import assert from 'node:assert/strict'
import { argmax, logSumExp, meanPoolNormalize, sampleIndex, topLogprobs } from './logprobs.ts'
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

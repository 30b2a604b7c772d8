import { test } from 'node:test'
import assert from 'node:assert/strict'
import { maxUpscaleU16, weightsFromScores } from './weights.ts'
import { scoreAgainstReference, updateMovingScore } from './response-score.ts'

test('max-upscale puts the largest weight at 65535 and rounds half away from zero', () => {
  assert.deepEqual(maxUpscaleU16([1, 2]), [32768, 65535]) // 32767.5 rounds up
  assert.deepEqual(maxUpscaleU16([0, 0]), [0, 0])
  assert.deepEqual(maxUpscaleU16([3, 3, 0]), [65535, 65535, 0])
  assert.deepEqual(maxUpscaleU16([0.25, 0.5]), [32768, 65535])
  assert.throws(() => maxUpscaleU16([1, Number.NaN]), RangeError)
  assert.throws(() => maxUpscaleU16([-1]), RangeError)
})

test('weights from scores drop zeros and sort uids', () => {
  const w = weightsFromScores(new Map([[5, 0.5], [2, 1], [3, 0]]))
  assert.deepEqual(w, { uids: [2, 5], weights: [65535, 32768] })
})

test('a response scores its common prefix with the reference, tokens and log-probabilities', () => {
  const ref = { tokenIds: [1, 2, 3, 4], logprobs: [-0.5, -1, -1.5, -2] }
  const answer = (tokenIds: number[], logprobs = ref.logprobs.slice(0, tokenIds.length)) => ({ tokenIds, logprobs })
  assert.equal(scoreAgainstReference(ref, answer([1, 2, 3, 4])), 1)
  assert.equal(scoreAgainstReference(ref, answer([1, 2, 9, 4])), 0.5)
  assert.equal(scoreAgainstReference(ref, answer([])), 0)
  assert.equal(scoreAgainstReference(ref, answer([1, 2, 3, 4, 5], [-0.5, -1, -1.5, -2, -3])), 1)
  // Right tokens with made-up log-probabilities stop counting where the numbers stray.
  assert.equal(scoreAgainstReference(ref, answer([1, 2, 3, 4], [-0.5, -1.0005, -0.1, -2])), 0.5)
  assert.equal(scoreAgainstReference(ref, answer([1, 2, 3, 4], [-0.5, -1, -1.5])), 0.75, 'a missing log-probability fails')
})

test('the moving score starts at the first score and moves by alpha', () => {
  assert.equal(updateMovingScore(undefined, 0.4, 0.3), 0.4)
  assert.ok(Math.abs(updateMovingScore(1, 0, 0.3) - 0.7) < 1e-12)
})

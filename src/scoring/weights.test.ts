import { test } from 'node:test'
import assert from 'node:assert/strict'
import { maxUpscaleU16, weightsFromScores } from './weights.ts'
import { updateMovingScore } from './response-score.ts'

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

test('the moving score starts at the first score and moves by alpha', () => {
  assert.equal(updateMovingScore(undefined, 0.4, 0.3), 0.4)
  assert.ok(Math.abs(updateMovingScore(1, 0, 0.3) - 0.7) < 1e-12)
})

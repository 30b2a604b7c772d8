import { test } from 'node:test'
import assert from 'node:assert/strict'
import { quantizeUint8 } from './quantize.ts'

test('uint8 quantization as ONNX Runtime does it: 0 exact, every weight within half a step, ties to even', () => {
  const w = Float32Array.from([-0.5, -0.25, 0, 0.1, 0.75, 1])
  const { q, scale, zero } = quantizeUint8(w)
  assert.equal(scale, Math.fround(1.5 / 255))
  assert.equal(zero, Math.round(0.5 / scale))
  assert.equal(q[2], zero, '0 maps to the zero point exactly')
  w.forEach((x, i) => assert.ok(Math.abs((q[i]! - zero) * scale - x) <= scale / 2 + 1e-7, `weight ${i}`))
  assert.deepEqual([...q].map((v) => v >= 0 && v <= 255), [true, true, true, true, true, true])
  // A range of only positive weights still holds 0 (the zero point is 0).
  assert.equal(quantizeUint8(Float32Array.from([0.2, 0.4])).zero, 0)
  // Exactly half way between two steps rounds to the even one, as numpy does.
  const tie = quantizeUint8(Float32Array.from([0, 2.5, 255]))
  assert.equal(tie.scale, 1)
  assert.equal(tie.q[1], 2)
})

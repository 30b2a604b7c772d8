import { test } from 'node:test'
import assert from 'node:assert/strict'
import { quantizeBlockwise4, quantizeUint8 } from './quantize.ts'
import { roundToFloat16 } from './float16.ts'

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

test('4-bit blocks as ONNX Runtime\'s MatMul4BitsQuantizer (symmetric): the largest magnitude maps to 0, zero point 8, low nibble first', () => {
  // One column, one block of 32: w[i] = i / 31, so the largest is 1 and the scale 1 / −8.
  const w = Float32Array.from({ length: 32 }, (_, i) => i / 31)
  const { packed, scales, kBlocks } = quantizeBlockwise4(w, 32, 1, 'float32')
  assert.equal(kBlocks, 1)
  assert.deepEqual([...scales], [-0.125])
  assert.equal(packed.length, 16)
  assert.equal(packed[0], 0x88, 'w[0] = 0 → 8, w[1] = 0.03 → round(7.74) = 8')
  assert.equal(packed[15], 0x00, 'w[30] → round(0.26) = 0, w[31] = max → 0')
  // Every weight within half a step of its dequantized value (q − 8) · scale.
  const K = 64
  const N = 3
  const r = Float32Array.from({ length: K * N }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5)))
  const q = quantizeBlockwise4(r, K, N, 'float32')
  assert.equal(q.kBlocks, 2)
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / 32)
      const byte = q.packed[(n * 2 + b) * 16 + Math.floor((k % 32) / 2)]!
      const nibble = k % 2 === 0 ? byte & 0xf : byte >> 4
      const scale = q.scales[n * 2 + b]!
      assert.ok(Math.abs((nibble - 8) * scale - r[k * N + n]!) <= Math.abs(scale) / 2 + 1e-6, `k ${k} n ${n}`)
    }
  }
  // float16 scales (q4f16) are float16 values.
  const h = quantizeBlockwise4(r, K, N, 'float16')
  h.scales.forEach((s) => assert.equal(roundToFloat16(s), s))
  assert.throws(() => quantizeBlockwise4(new Float32Array(40), 40, 1, 'float32'), /not a multiple of 32/)
})

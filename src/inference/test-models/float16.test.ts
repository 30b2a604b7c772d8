import { test } from 'node:test'
import assert from 'node:assert/strict'
import { float16Bits, float16Value, roundToFloat16, toFloat16Range } from './float16.ts'

test('float16Bits: known values, round to nearest with ties to even, overflow and underflow', () => {
  assert.equal(float16Bits(1), 0x3c00)
  assert.equal(float16Bits(-2), 0xc000)
  assert.equal(float16Bits(65504), 0x7bff) // the largest finite float16
  assert.equal(float16Bits(65520), 0x7c00) // half way to the next step rounds to even: infinity
  assert.equal(float16Bits(1e4), 0x70e2)
  assert.equal(float16Bits(0.1), 0x2e66)
  assert.equal(float16Bits(2 ** -24), 0x0001) // the least subnormal
  assert.equal(float16Bits(2 ** -25), 0x0000) // half of it: ties to even, 0
  assert.equal(float16Bits(3 * 2 ** -25), 0x0002) // 1.5 steps: ties to even, 2
  assert.equal(float16Bits(1 + 2 ** -11), 0x3c00) // half a step above 1: to even (1)
  assert.equal(float16Bits(1 + 3 * 2 ** -11), 0x3c02) // 1.5 steps: to even (2)
  assert.equal(float16Bits(-0), 0x8000)
  assert.equal(float16Bits(Infinity), 0x7c00)
  assert.ok(Number.isNaN(float16Value(float16Bits(NaN))))
})

test('every finite float16 survives a round trip, and the value between two neighbours rounds to one of them', () => {
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00) continue
    const v = float16Value(h)
    assert.equal(float16Bits(v), h === 0x8000 ? 0x8000 : h, `bits ${h.toString(16)}`)
    if ((h & 0x7fff) < 0x7bff && h < 0x8000) {
      const mid = (v + float16Value(h + 1)) / 2
      assert.equal(float16Bits(mid), h % 2 === 0 ? h : h + 1, `tie after ${h.toString(16)}`)
    }
  }
})

test('the float16 converter\'s clamp: tiny magnitudes raised to 1e-7, large ones lowered to 1e4, zero kept', () => {
  assert.equal(toFloat16Range(1e-9), Math.fround(1e-7))
  assert.equal(toFloat16Range(-1e-9), -Math.fround(1e-7))
  assert.equal(toFloat16Range(0), 0)
  assert.equal(toFloat16Range(-1e9), -1e4)
  assert.equal(toFloat16Range(Infinity), Infinity)
  assert.equal(toFloat16Range(0.5), 0.5)
  assert.equal(roundToFloat16(toFloat16Range(-1e9)), -10000)
})

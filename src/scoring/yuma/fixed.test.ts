import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { mul, div, divPos, exp, expBig, sigmoidOfExp, u16Proportion, toU16, ONE } from './fixed.ts'

const B32 = 1n << 32n
const floorDivBig = (a: bigint, b: bigint) => { const q = a / b; return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q }
const bits = fc.integer({ min: -(2 ** 40), max: 2 ** 40 })

test('mul equals floor(a*b / 2^32) computed in BigInt', () => {
  fc.assert(fc.property(bits, bits, (a, b) => {
    assert.equal(BigInt(mul(a, b)), floorDivBig(BigInt(a) * BigInt(b), B32))
  }), { numRuns: 5000 })
})

test('div equals trunc(a*2^32 / b) computed in BigInt, and 0 for b = 0', () => {
  const wide = fc.integer({ min: -(2 ** 50), max: 2 ** 50 })
  fc.assert(fc.property(wide, wide, (a, b) => {
    const want = b === 0 ? 0n : (BigInt(a) << 32n) / BigInt(b)
    // Results beyond 2^53 bits (|x| > 2^21) never occur in an epoch and are not representable.
    if (want > 2n ** 53n || want < -(2n ** 53n)) return
    const got = BigInt(div(a, b))
    if (got !== want) assert.fail(`div(${a}, ${b}) = ${got}, want ${want}`)
    if (a >= 0 && b >= 0) assert.equal(BigInt(divPos(a, b)), want, `divPos(${a}, ${b})`)
  }), { numRuns: 5000 })
  assert.equal(div(5, 0), 0)
  assert.equal(divPos(5, 0), 0)
  // Proportion-sized operands, the epoch's common case.
  const prop = fc.integer({ min: 0, max: 2 ** 34 })
  fc.assert(fc.property(prop, prop, (a, b) => {
    const want = b === 0 ? 0n : (BigInt(a) << 32n) / BigInt(b)
    if (want > 2n ** 53n) return
    assert.equal(BigInt(divPos(a, b)), want)
  }), { numRuns: 20000 })
})

test('u16Proportion and toU16 follow the chain conversions', () => {
  for (const x of [0, 1, 2, 32767, 45875, 58982, 65534, 65535]) {
    assert.equal(BigInt(u16Proportion(x)), (BigInt(x) << 32n) / 65535n)
  }
  assert.equal(toU16(ONE), 65535)
  assert.equal(toU16(ONE / 2), 32767)
})

test('exp matches the crate series (BigInt reference) and approximates Math.exp', () => {
  const ref = (x: bigint): bigint => {
    if (x === 0n) return B32
    const neg = x < 0n
    const op = neg ? -x : x
    let r = op + B32
    let term = op
    for (let i = 2n; i < 32n; i++) { term = (term * op) >> 32n; term /= i; r += term }
    return neg ? (B32 << 32n) / r : r
  }
  fc.assert(fc.property(fc.integer({ min: -20 * 2 ** 32, max: 20 * 2 ** 32 }), (x) => {
    if (x === ONE) return
    assert.equal(expBig(x), ref(BigInt(x)))
    if (x <= 14 * ONE) assert.equal(BigInt(exp(x)), ref(BigInt(x)))
    assert.equal(BigInt(sigmoidOfExp(x)), (1n << 64n) / ((1n << 32n) + ref(BigInt(x))))
  }), { numRuns: 3000 })
  for (const x of [-5, -1.5, 0.25, 3, 7.9]) {
    const v = exp(Math.round(x * ONE)) / ONE
    assert.ok(Math.abs(v - Math.exp(x)) / Math.exp(x) < 1e-6, `exp(${x}) = ${v}`)
  }
})

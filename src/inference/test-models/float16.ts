/**
 * float32 → float16 as numpy's `astype(np.float16)` does it (round to nearest, ties to even;
 * overflow to ±infinity, underflow through the subnormals to ±0), and the range clamp ONNX
 * Runtime's float16 converter (`onnxconverter_common.float16.convert_float_to_float16`, defaults
 * `min_positive_val=1e-7`, `max_finite_val=1e4`) applies to initializers before converting. Pure.
 */

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** The float16 bit pattern nearest to `x` (after rounding `x` to float32), ties to even. */
export function float16Bits(x: number): number {
  f32[0] = x
  const b = u32[0]!
  const sign = (b >>> 16) & 0x8000
  const exp = (b >>> 23) & 0xff
  let mant = b & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant === 0 ? 0 : 0x200)
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    // Subnormal float16: units of 2^-24.
    const shift = 14 - e
    if (shift > 24) return sign
    mant |= 0x800000
    let half = mant >>> shift
    const rem = mant & ((1 << shift) - 1)
    const halfway = 1 << (shift - 1)
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++
    return sign | half
  }
  let half = (e << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  // A carry out of the mantissa bumps the exponent, up to infinity: still the right bits.
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++
  return sign | half
}

/** The value of a float16 bit pattern. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exp = (bits >>> 10) & 0x1f
  const mant = bits & 0x3ff
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN
  if (exp === 0) return sign * mant * 2 ** -24
  return sign * (1 + mant / 1024) * 2 ** (exp - 15)
}

/** `x` rounded to float16 and back. */
export function roundToFloat16(x: number): number {
  return float16Value(float16Bits(x))
}

/** ONNX Runtime's float16 converter's defaults: magnitudes below are raised to it, above lowered to it. */
export const FLOAT16_MIN_POSITIVE = 1e-7
export const FLOAT16_MAX_FINITE = 1e4

/** The converter's clamp (strict comparisons, in float32 as numpy does it on a float32 array). */
export function toFloat16Range(x: number): number {
  const minPos = Math.fround(FLOAT16_MIN_POSITIVE)
  const v = Math.fround(x)
  if (v > 0 && v < minPos) return minPos
  if (v < 0 && v > -minPos) return -minPos
  if (v > FLOAT16_MAX_FINITE && v < Infinity) return FLOAT16_MAX_FINITE
  if (v < -FLOAT16_MAX_FINITE && v > -Infinity) return -FLOAT16_MAX_FINITE
  return v
}

/**
 * I32F32 arithmetic of the `substrate-fixed` crate, on raw bits held in JS Numbers.
 *
 * A value x is stored as its bits `x * 2^32` (an integer). Epoch quantities stay far below 2^53
 * bits, so the bits fit a double exactly; products and quotients are done exactly with 16/32-bit
 * splits (BigInt only for rare wide divisions). Semantics follow the crate: `mul` floors
 * (arithmetic shift), `div` truncates toward zero, division by zero gives 0 (`safe_div`).
 */

export const ONE = 4294967296 // 2^32
const TWO16 = 65536
const SAFE = 9007199254740992 // 2^53
const TWO84 = 2 ** 84

/** I32F32 multiply: floor(a * b / 2^32). */
export function mul(a: number, b: number): number {
  const p = a * b
  // A product below 2^53 in magnitude is exact in a double.
  if (p < SAFE && p > -SAFE) return Math.floor(p / ONE)
  if (p < TWO84 && p > -TWO84) {
    // ulp(p) <= 2^32 here, so p - q*2^32 is exact and is either 0 or at least ulp(p) > |error|:
    // the exact product floors to q unless p sits on a multiple of 2^32 and was rounded up.
    const q = Math.floor(p / ONE)
    return p - q * ONE === 0 && productError(a, b, p) < 0 ? q - 1 : q
  }
  const ah = Math.floor(a / ONE)
  const al = a - ah * ONE
  const bh = Math.floor(b / ONE)
  const bl = b - bh * ONE
  const blh = Math.floor(bl / TWO16)
  const bll = bl - blh * TWO16
  // floor(al * bl / 2^32) with al, bl in [0, 2^32): split bl in 16-bit halves.
  const low = Math.floor((al * blh + Math.floor((al * bll) / TWO16)) / TWO16)
  return ah * bh * ONE + ah * bl + al * bh + low
}

/** floor(num / den) for non-negative integers with num < 2^53, corrected for float rounding. */
function floorDiv(num: number, den: number): number {
  let q = Math.floor(num / den)
  let r = num - q * den
  while (r < 0) { q -= 1; r += den }
  while (r >= den) { q += 1; r -= den }
  return q
}

const SPLIT = 134217729 // 2^27 + 1, Veltkamp splitter for exact products

/** The rounding error of a*b (so a*b = fl(a*b) + error exactly), by Dekker's two-product. */
function productError(a: number, b: number, p: number): number {
  let c = SPLIT * a
  const ah = c - (c - a)
  const al = a - ah
  c = SPLIT * b
  const bh = c - (c - b)
  const bl = b - bh
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl
}

/**
 * floor(num / den) for integers 0 <= num < 2^1000, 0 < den < 2^53, exact while the quotient is
 * below 2^53: the float quotient is corrected with the exact remainder num - q*den.
 */
function floorDivExact(num: number, den: number): number {
  let q = Math.floor(num / den)
  const p = q * den
  let r = num - p - productError(q, den, p)
  while (r < 0) { q -= 1; r += den }
  while (r >= den) { q += 1; r -= den }
  return q
}

/** I32F32 divide (`safe_div`): trunc(a * 2^32 / b), 0 when b = 0. */
export function div(a: number, b: number): number {
  if (b === 0) return 0
  const neg = (a < 0) !== (b < 0)
  const x = Math.abs(a)
  const y = Math.abs(b)
  let q: number
  if (x < 1048576) {
    q = floorDiv(x * ONE, y)
  } else if (y < SAFE && x < y * 2097152) {
    // x * 2^32 is exact (a power-of-two scaling) and the quotient stays below 2^53.
    q = floorDivExact(x * ONE, y)
  } else {
    q = Number((BigInt(x) << 32n) / BigInt(y))
  }
  return neg ? -q : q
}

/** `div` for a >= 0, b >= 0 (every normalisation in the epoch): the same result, fewer branches. */
export function divPos(a: number, b: number): number {
  if (b === 0) return 0
  if (b < SAFE && a < b * 2097152) {
    const num = a * ONE
    let q = Math.floor(num / b)
    const p = q * b
    const r = num - p - productError(q, b, p)
    if (r < 0) q -= 1
    else if (r >= b) q += 1
    return q
  }
  return div(a, b)
}

/** u16 stored proportion → I32F32: `I32F32(x) / I32F32(65535)` = floor(x * 2^32 / 65535). */
export function u16Proportion(x: number): number {
  return floorDiv(x * ONE, 65535)
}

/** `fixed_proportion_to_u16`: floor(x * 65535) saturated to u16. */
export function toU16(bits: number): number {
  const v = Math.floor((bits * 65535) / ONE)
  // bits * 65535 < 2^53 for any proportion <= 2^21; the division by 2^32 is exact.
  return v < 0 ? 0 : v > 65535 ? 65535 : v
}

const E_BITS = 22802600 * 512 // crate constant e as I9F23, widened to I32F32
const EXP_NUMBER_LIMIT = 8 * ONE

/**
 * The crate's Taylor `exp` (terms 2..31, each step floored/truncated; e^-x = 1/e^x).
 * Exact for x <= 14 (larger results exceed 2^53 bits: use `expBig`).
 */
export function exp(x: number): number {
  if (x === 0) return ONE
  if (x === ONE) return E_BITS
  const neg = x < 0
  const op = neg ? -x : x
  let result: number
  if (op <= EXP_NUMBER_LIMIT) {
    result = op + ONE
    let term = op
    for (let i = 2; i < 32; i++) {
      term = mul(term, op)
      term = Math.floor(term / i)
      // Once a term floors to zero every later one is zero too: the sum is final.
      if (term === 0) break
      result += term
    }
  } else {
    // Large inputs: terms exceed 2^53 bits, so do the series in BigInt.
    return Number(expBig(x))
  }
  return neg ? div(ONE, result) : result
}

/** `exp` on BigInt bits, for any input (the crate's exact series). */
export function expBig(x: number): bigint {
  if (x === 0) return 1n << 32n
  if (x === ONE) return BigInt(E_BITS)
  const neg = x < 0
  const bop = BigInt(neg ? -x : x)
  let r = bop + (1n << 32n)
  let term = bop
  for (let i = 2n; i < 32n; i++) {
    term = (term * bop) >> 32n
    term = term / i
    if (term === 0n) break
    r += term
  }
  return neg ? (1n << 64n) / r : r
}

/** `1 / (1 + exp_safe(x))` in I32F32, exact for every input. */
export function sigmoidOfExp(x: number): number {
  const lim = 20 * ONE
  const c = x < -lim ? -lim : x > lim ? lim : x
  if (c <= EXP_NUMBER_LIMIT) return div(ONE, ONE + exp(c))
  return Number((1n << 64n) / ((1n << 32n) + expBig(c)))
}

/** `exp_safe`: input clamped to [-20, 20]. */
export function expSafe(x: number): number {
  const lim = 20 * ONE
  return exp(x < -lim ? -lim : x > lim ? lim : x)
}

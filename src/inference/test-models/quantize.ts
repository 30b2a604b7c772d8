/**
 * 8-bit weight quantization the way ONNX Runtime's `quantize_dynamic` writes it with
 * `weight_type=QUInt8` (what the `*_quantized.onnx` files of Hugging Face's transformers.js models
 * are): weights as asymmetric per-tensor uint8 (range widened to hold 0, scale = (max − min) / 255,
 * zero point round(−min / scale), numpy's round-half-to-even), activations quantized at run time by
 * `DynamicQuantizeLinear`, products by `MatMulInteger`, rescaled in float. Embedding tables are
 * gathered as uint8 and dequantized row by row. Pure.
 *
 * Why uint8 weights, not int8: x86 kernels multiply uint8 activations by int8 weights with an
 * instruction that saturates pairs of products at 16 bits (ONNX Runtime's docs warn of it), so
 * onnxruntime-node on AVX2 and onnxruntime-web (exact) disagreed by 0.07 nats; uint8 × uint8 is
 * exact on both.
 *
 * Also 4-bit block quantization (`q4`, `q4f16`) as ONNX Runtime's `MatMul4BitsQuantizer` writes it:
 * weight-only, `MatMulNBits`, dequantized inside the kernel (activations stay float).
 */
import { roundToFloat16, toFloat16Range } from './float16.ts'
import { MS_DOMAIN, type GraphBuilder } from './onnx-graph.ts'

/** Asymmetric per-tensor uint8: `q = clamp(round_half_even(w / scale) + zero, 0, 255)`, with 0 exactly representable. */
export function quantizeUint8(w: Float32Array): { q: Uint8Array; scale: number; zero: number } {
  let lo = 0
  let hi = 0
  for (let i = 0; i < w.length; i++) {
    lo = Math.min(lo, w[i]!)
    hi = Math.max(hi, w[i]!)
  }
  const scale = Math.fround(hi === lo ? 1 : (hi - lo) / 255)
  const zero = Math.max(0, Math.min(255, roundHalfEven(-lo / scale)))
  const q = new Uint8Array(w.length)
  for (let i = 0; i < w.length; i++) q[i] = Math.max(0, Math.min(255, roundHalfEven(w[i]! / scale) + zero))
  return { q, scale, zero }
}

function roundHalfEven(x: number): number {
  const r = Math.round(x)
  // Math.round rounds .5 up; numpy (and ONNX's QuantizeLinear) rounds it to the even neighbour.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

const quantizedInputs = new WeakMap<GraphBuilder, Map<string, [string, string, string]>>()

/** One DynamicQuantizeLinear per activation, shared by the MatMuls that read it (q, k and v do). */
function dynamicQuantized(g: GraphBuilder, x: string): [string, string, string] {
  let seen = quantizedInputs.get(g)
  if (seen === undefined) quantizedInputs.set(g, (seen = new Map()))
  let out = seen.get(x)
  if (out === undefined) {
    out = [`${x}_quantized`, `${x}_scale`, `${x}_zero_point`]
    g.node('DynamicQuantizeLinear', [x], out)
    seen.set(x, out)
  }
  return out
}

/** `x @ W` with W [inDim, outDim] stored as int8: DynamicQuantizeLinear → MatMulInteger → Cast → Mul. */
export function quantizedMatMul(g: GraphBuilder, x: string, name: string, dims: [number, number], w: Float32Array): string {
  const { q, scale, zero } = quantizeUint8(w)
  const wq = g.uint8(`${name}_quantized`, dims, q)
  const wScale = g.namedScalar(`${name}_scale`, scale)
  const wZero = g.uint8(`${name}_zero_point`, [], Uint8Array.of(zero))
  const [xq, xScale, xZero] = dynamicQuantized(g, x)
  const product = g.op('MatMulInteger', [xq, wq, xZero, wZero])
  return g.op('Mul', [g.op('Cast', [product], { to: 1 }), g.op('Mul', [xScale, wScale])])
}

/** Rows of a uint8 embedding table [V, E], dequantized: Gather then DequantizeLinear. */
export function quantizedGather(g: GraphBuilder, table: { name: string; q: Uint8Array; scale: number; zero: number; dims: [number, number] }, indices: string): string {
  const t = g.uint8(`${table.name}_quantized`, table.dims, table.q)
  const scale = g.namedScalar(`${table.name}_scale`, table.scale)
  const zero = g.uint8(`${table.name}_zero_point`, [], Uint8Array.of(table.zero))
  return g.op('DequantizeLinear', [g.op('Gather', [t, indices]), scale, zero])
}

/** The block size ONNX Runtime's 4-bit weight quantizer uses by default (and transformers.js' q4 files). */
export const Q4_BLOCK_SIZE = 32

/** C's roundf: halves away from zero. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x))
}

/**
 * Symmetric 4-bit block quantization of W [K, N] (row major) as ONNX Runtime's
 * `MatMul4BitsQuantizer` (`is_symmetric=True`, the transformers.js q4 setting) writes it through
 * `MlasQuantizeBlockwise`: per column n and block of 32 rows, m = the block's min or max, whichever
 * is larger in magnitude (the min on a tie); scale = m / −8 stored in `scaleType`;
 * q = clamp(roundf(v · (1/scale) + 8), 0, 15), so m itself maps to 0 and the zero point is the
 * implicit 8. Packed column by column, two values a byte, the lower row in the low nibble:
 * `packed` is MatMulNBits' B [N, K/32, 16], `scales` its [N · K/32]. Pure.
 */
export function quantizeBlockwise4(w: Float32Array, K: number, N: number, scaleType: 'float32' | 'float16'): { packed: Uint8Array; scales: Float32Array; kBlocks: number } {
  if (K % Q4_BLOCK_SIZE !== 0) throw new Error(`K ${K} is not a multiple of ${Q4_BLOCK_SIZE}`)
  if (w.length !== K * N) throw new Error(`${w.length} weights for [${K}, ${N}]`)
  const kBlocks = K / Q4_BLOCK_SIZE
  const blob = Q4_BLOCK_SIZE / 2
  const packed = new Uint8Array(N * kBlocks * blob)
  const scales = new Float32Array(N * kBlocks)
  const toScale = scaleType === 'float16' ? roundToFloat16 : Math.fround
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      let lo = Infinity
      let hi = -Infinity
      for (let i = b * Q4_BLOCK_SIZE; i < (b + 1) * Q4_BLOCK_SIZE; i++) {
        const v = w[i * N + n]!
        if (v < lo) lo = v
        if (v > hi) hi = v
      }
      const m = Math.abs(hi) > Math.abs(lo) ? hi : lo
      const scale = toScale(Math.fround(m / -8))
      scales[n * kBlocks + b] = scale
      const reciprocal = scale === 0 ? 0 : Math.fround(1 / scale)
      for (let j = 0; j < Q4_BLOCK_SIZE; j += 2) {
        const quant = (i: number) => Math.max(0, Math.min(15, roundHalfAway(Math.fround(Math.fround(w[i * N + n]! * reciprocal) + 8))))
        const i = b * Q4_BLOCK_SIZE + j
        packed[(n * kBlocks + b) * blob + j / 2] = quant(i) | (quant(i + 1) << 4)
      }
    }
  }
  return { packed, scales, kBlocks }
}

/**
 * `x @ W` with W [inDim, outDim] as a 4-bit `MatMulNBits` (com.microsoft): B `<name>_Q4`, scales
 * `<name>_scales`, no zero points (symmetric), attributes K, N, bits 4, block_size 32 — the node
 * ONNX Runtime's quantizer puts in place of a MatMul. In a float16 graph (q4f16) the weights are
 * the float16 model's (rounded to float16 first) and the scales float16.
 */
export function quantized4MatMul(g: GraphBuilder, x: string, name: string, dims: [number, number], w: Float32Array): string {
  const [K, N] = dims
  const half = g.floatType === 'float16'
  const source = half ? w.map((v) => roundToFloat16(toFloat16Range(v))) : w
  const { packed, scales, kBlocks } = quantizeBlockwise4(source, K, N, g.floatType)
  const b = g.uint8(`${name}_Q4`, [N, kBlocks, Q4_BLOCK_SIZE / 2], packed)
  const s = g.scales(`${name}_scales`, [N * kBlocks], scales)
  return g.op('MatMulNBits', [x, b, s], { K, N, bits: 4, block_size: Q4_BLOCK_SIZE }, undefined, MS_DOMAIN)
}

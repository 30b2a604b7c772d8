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
 */
import type { GraphBuilder } from './onnx-graph.ts'

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

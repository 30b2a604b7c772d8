/**
 * A GPT-2-architecture causal LM as an ONNX graph with KV cache, in the input/output layout that
 * transformers.js expects from Optimum exports (`input_ids`, `attention_mask`, `position_ids`,
 * `past_key_values.{i}.key|value` → `logits`, `present.{i}.key|value`). Weights are seeded and
 * random: the text is meaningless, the computation deterministic and checkable.
 */
import { ELEM, GraphBuilder } from './onnx-graph.ts'
import { quantized4MatMul, quantizedGather, quantizedMatMul, quantizeUint8 } from './quantize.ts'
import { jitter, uniformWeights } from './weights.ts'

/**
 * The ONNX weight formats the test models come in, each as ONNX Runtime's tools write it: fp32;
 * fp16 (float16 converter, `keep_io_types`); q8 (dynamic uint8, `onnx/model_quantized.onnx`); q4
 * and q4f16 (4-bit `MatMulNBits` blocks on the fp32 or fp16 graph).
 */
export type TestModelDtype = 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16'

export interface Gpt2Shape {
  vocabSize: number
  nPositions: number
  nEmbd: number
  nLayer: number
  nHead: number
}

/** GPT-2's tokenizer has 50257 entries; `<|endoftext|>` is the last. */
export const GPT2_VOCAB_SIZE = 50257
export const GPT2_EOS_ID = 50256

export const TINY_GPT2: Gpt2Shape = { vocabSize: GPT2_VOCAB_SIZE, nPositions: 512, nEmbd: 64, nLayer: 2, nHead: 4 }
/** The shape of distilgpt2 (82M parameters), for benchmarks. */
export const DISTILGPT2_SIZE: Gpt2Shape = { vocabSize: GPT2_VOCAB_SIZE, nPositions: 1024, nEmbd: 768, nLayer: 6, nHead: 12 }

/**
 * Builds the ONNX file of `dtype` for a GPT-2 of the given shape from `seed`; every dtype holds
 * the fp32 graph's weights, converted:
 * - fp32 `onnx/model.onnx`;
 * - q8 `onnx/model_quantized.onnx`: every MatMul, the LM head and the token embedding in uint8;
 *   layer norms, biases and position embeddings stay fp32;
 * - fp16 `onnx/model_fp16.onnx`: every weight and constant float16, computed in float16, with the
 *   inputs and outputs kept float32 by Cast nodes (the converter's `keep_io_types`, as
 *   transformers.js' own fp16 files are: the KV cache it feeds back is float32);
 * - q4 `onnx/model_q4.onnx`: every MatMul and the LM head as 4-bit MatMulNBits; the rest fp32
 *   (the embedding table too: the quantizer leaves Gather alone);
 * - q4f16 `onnx/model_q4f16.onnx`: the fp16 graph with the q4 treatment (float16 scales).
 */
export function buildGpt2Onnx(shape: Gpt2Shape, seed: number, dtype: TestModelDtype = 'fp32'): Uint8Array {
  const q8 = dtype === 'q8'
  const q4 = dtype === 'q4' || dtype === 'q4f16'
  const half = dtype === 'fp16' || dtype === 'q4f16'
  const { vocabSize: V, nPositions: P, nEmbd: E, nLayer: L, nHead: H } = shape
  const D = E / H
  if (!Number.isInteger(D)) throw new Error(`n_embd ${E} is not divisible by n_head ${H}`)
  const g = new GraphBuilder(half ? 'float16' : 'float32')
  // keep_io_types: float32 in, Cast to float16; float16 results Cast back to float32 outputs.
  const fromInput = (name: string) => (half ? g.op('Cast', [name], { to: ELEM.float16 }) : name)
  const toOutput = (opType: string, inputs: string[], attrs: Record<string, number>, name: string) => {
    if (!half) return g.op(opType, inputs, attrs, name)
    const inner = g.op(opType, inputs, attrs)
    g.op('Cast', [inner], { to: ELEM.float32 }, name)
    return inner
  }
  // Scales chosen so the residual stream stays O(1) and the logits have a spread of a few nats:
  // greedy choices are then far from ties, which keeps backends in agreement.
  const projStd = 1 / Math.sqrt(E)
  const w = (name: string, dims: number[], std: number) =>
    g.weight(name, dims, uniformWeights(seed, name, dims.reduce((a, b) => a * b, 1), std))
  const ln = (x: string, name: string) =>
    g.op('LayerNormalization', [x, g.weight(`${name}.weight`, [E], jitter(seed, `${name}.weight`, E, 1, 0.05)), g.weight(`${name}.bias`, [E], jitter(seed, `${name}.bias`, E, 0, 0.05))], {
      axis: -1,
      epsilon: { float: 1e-5 },
    })
  const linear = (x: string, name: string, inDim: number, outDim: number, std: number) => {
    const product = q8
      ? quantizedMatMul(g, x, `${name}.weight`, [inDim, outDim], uniformWeights(seed, `${name}.weight`, inDim * outDim, std))
      : q4
        ? quantized4MatMul(g, x, `${name}.weight`, [inDim, outDim], uniformWeights(seed, `${name}.weight`, inDim * outDim, std))
        : g.op('MatMul', [x, w(`${name}.weight`, [inDim, outDim], std)])
    return g.op('Add', [product, w(`${name}.bias`, [outDim], 0.02)])
  }

  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length'])
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length'])
  const positionIds = g.input('position_ids', 'int64', ['batch_size', 'sequence_length'])
  const past: [string, string][] = []
  for (let i = 0; i < L; i++) {
    past.push([
      fromInput(g.input(`past_key_values.${i}.key`, 'float32', ['batch_size', H, 'past_sequence_length', D])),
      fromInput(g.input(`past_key_values.${i}.value`, 'float32', ['batch_size', H, 'past_sequence_length', D])),
    ])
  }

  const wteStd = 2.5 / Math.sqrt(E)
  // fp32: the table as an initializer (the tied head reads it again); q8: its values, quantized where used.
  const wte: { name: string } | { data: Float32Array } = q8 ? { data: uniformWeights(seed, 'wte', V * E, wteStd) } : { name: w('wte', [V, E], wteStd) }
  const wpe = w('wpe', [P, E], 0.3)
  const tokens = 'name' in wte ? g.op('Gather', [wte.name, inputIds]) : quantizedGather(g, { name: 'wte', dims: [V, E], ...quantizeUint8(wte.data) }, inputIds)
  let x = g.op('Add', [tokens, g.op('Gather', [wpe, positionIds])])

  // Additive attention bias [B,1,S,T]: 0 where query i (absolute position T-S+i) may see key j
  // (j ≤ T-S+i and attention_mask[b,j] = 1), a large negative number elsewhere.
  const total = g.op('Shape', [attentionMask], { start: 1, end: 2 })
  const seqLen = g.op('Shape', [inputIds], { start: 1, end: 2 })
  const axis0 = g.int64([0])
  const totalScalar = g.op('Squeeze', [total, axis0])
  const startScalar = g.op('Squeeze', [g.op('Sub', [total, seqLen]), axis0])
  const zero = g.int64([0], [])
  const one = g.int64([1], [])
  const keyIdx = g.op('Range', [zero, totalScalar, one])
  const queryIdx = g.op('Unsqueeze', [g.op('Range', [startScalar, totalScalar, one]), g.int64([1])])
  const causal = g.op('LessOrEqual', [keyIdx, queryIdx])
  const padMask = g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: 9 }), g.int64([1, 2])])
  const allowed = g.op('And', [causal, padMask])
  const bias = g.op('Where', [allowed, g.scalar(0), g.scalar(-1e9)])
  const scale = g.scalar(1 / Math.sqrt(D))
  const headsShape = g.int64([0, 0, H, D])
  const mergedShape = g.int64([0, 0, E])

  const toHeads = (t: string) => g.op('Transpose', [g.op('Reshape', [t, headsShape])], { perm: [0, 2, 1, 3] })
  for (let i = 0; i < L; i++) {
    const p = `h.${i}`
    const h1 = ln(x, `${p}.ln_1`)
    const q = toHeads(linear(h1, `${p}.attn.q`, E, E, projStd))
    const k = toHeads(linear(h1, `${p}.attn.k`, E, E, projStd))
    const v = toHeads(linear(h1, `${p}.attn.v`, E, E, projStd))
    const presentK = toOutput('Concat', [past[i][0], k], { axis: 2 }, `present.${i}.key`)
    const presentV = toOutput('Concat', [past[i][1], v], { axis: 2 }, `present.${i}.value`)
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [presentK], { perm: [0, 1, 3, 2] })]), scale]), bias])
    const probs = g.op('Softmax', [scores], { axis: -1 })
    const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, presentV])], { perm: [0, 2, 1, 3] }), mergedShape])
    x = g.op('Add', [x, linear(ctx, `${p}.attn.c_proj`, E, E, projStd * 0.5)])
    const h2 = ln(x, `${p}.ln_2`)
    const m = linear(h2, `${p}.mlp.c_fc`, E, 4 * E, projStd)
    x = g.op('Add', [x, linear(geluTanh(g, m), `${p}.mlp.c_proj`, 4 * E, E, 0.5 / Math.sqrt(4 * E))])
  }
  const hf = ln(x, 'ln_f')
  // Tied LM head: Gemm with transB reads wte as [V,E] directly, so the file holds it once. The q8
  // head is a MatMulInteger on wte transposed ([E,V], the embedding table quantized the same way);
  // the q4 head a MatMulNBits of the same [E,V] (its blocks run along E, wte's rows).
  const flat = g.op('Reshape', [hf, g.int64([-1, E])])
  const logits2d =
    'name' in wte
      ? q4
        ? quantized4MatMul(g, flat, 'lm_head.weight', [E, V], transpose(uniformWeights(seed, 'wte', V * E, wteStd), V, E))
        : g.op('Gemm', [flat, wte.name], { transB: 1 })
      : quantizedMatMul(g, flat, 'lm_head.weight', [E, V], transpose(wte.data, V, E))
  const outShape = g.op('Concat', [g.op('Shape', [inputIds]), g.int64([V])], { axis: 0 })
  toOutput('Reshape', [logits2d, outShape], {}, 'logits')

  g.output('logits', 'float32', ['batch_size', 'sequence_length', V])
  for (let i = 0; i < L; i++) {
    g.output(`present.${i}.key`, 'float32', ['batch_size', H, 'total_sequence_length', D])
    g.output(`present.${i}.value`, 'float32', ['batch_size', H, 'total_sequence_length', D])
  }
  return g.encode('gpt2')
}

/** A [rows, cols] matrix as [cols, rows]. */
function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c]!
  return out
}

/** GELU, tanh approximation (GPT-2's `gelu_new`), from basic ops every backend has. */
export function geluTanh(g: GraphBuilder, x: string): string {
  const cube = g.op('Mul', [x, g.op('Mul', [x, x])])
  const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.scalar(0.044715)])]), g.scalar(Math.sqrt(2 / Math.PI))])
  const half = g.op('Mul', [x, g.scalar(0.5)])
  return g.op('Mul', [half, g.op('Add', [g.op('Tanh', [inner]), g.scalar(1)])])
}

/** `config.json` for the graph above. */
export function gpt2Config(shape: Gpt2Shape): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: shape.vocabSize,
    n_positions: shape.nPositions,
    n_ctx: shape.nPositions,
    n_embd: shape.nEmbd,
    n_layer: shape.nLayer,
    n_head: shape.nHead,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    bos_token_id: GPT2_EOS_ID,
    eos_token_id: GPT2_EOS_ID,
    use_cache: true,
    'transformers.js_config': { dtype: 'fp32' },
  }
}

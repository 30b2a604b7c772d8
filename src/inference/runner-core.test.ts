import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Tensor } from '@huggingface/transformers'
import { createRunner, type ModelLike, type TokenizerLike } from './runner-core.ts'
import { float16Bits } from './test-models/float16.ts'

test('float16 logits (a model exported without keep_io_types) are widened, not read as float32 bits', async () => {
  const row = [1, 2, 0.5, -1]
  const model: ModelLike = {
    config: { vocab_size: 4, eos_token_id: 3 },
    forward: async (inputs) => {
      const n = (inputs.input_ids as Tensor).dims[1]!
      const bits = Uint16Array.from({ length: n * 4 }, (_, i) => float16Bits(row[i % 4]!))
      return { logits: new Tensor('float16', bits, [1, n, 4]) }
    },
    dispose: async () => undefined,
  }
  const tokenizer = { encode: () => [0, 1], decode: () => 'x' } as unknown as TokenizerLike
  const runner = createRunner({ modelId: 'fake/fp16', device: 'cpu', deviceReason: 'test', kind: 'causal-lm', tokenizer, model })
  const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0))
  const g = await runner.generate({ prompt: 'p', maxNewTokens: 1 })
  assert.deepEqual(g.tokenIds, [1])
  assert.ok(Math.abs(g.logprobs[0]! - (2 - lse)) < 1e-6, `${g.logprobs[0]} vs ${2 - lse}`)
  const s = await runner.score({ prompt: 'p', tokenIds: [2] })
  assert.ok(Math.abs(s.logprobs[0]! - (0.5 - lse)) < 1e-6)
  await runner.dispose()
})

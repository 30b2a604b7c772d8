import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as ort from 'onnxruntime-web'
import { GraphBuilder } from '../test-models/onnx-graph.ts'
import { WARMUP_MODEL_BASE64 } from './warmup-model.ts'

test('the runtime warm-up model is the one-node Identity graph our writer makes, and onnxruntime-web (WASM, here in Node) runs it', async () => {
  const g = new GraphBuilder()
  g.op('Identity', [g.input('x', 'float32', [1])], {}, 'y')
  g.output('y', 'float32', [1])
  const bytes = Buffer.from(WARMUP_MODEL_BASE64, 'base64')
  assert.deepEqual(new Uint8Array(bytes), new Uint8Array(g.encode('warmup')))
  ort.env.wasm.numThreads = 1
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] })
  const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(2.5), [1]) })
  assert.deepEqual(Array.from(y!.data as Float32Array), [2.5])
  await session.release()
})

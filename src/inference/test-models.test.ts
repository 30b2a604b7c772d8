import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { computeIntegrity, ensureTestModels, makeTestModel } from './index.ts'

test('makeTestModel: same seed gives byte-identical files, another seed other weights', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'wt-models-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const a = await makeTestModel('tiny-gpt2', join(root, 'a'), { seed: 5 })
  const b = await makeTestModel('tiny-gpt2', join(root, 'b'), { seed: 5 })
  const c = await makeTestModel('tiny-gpt2', join(root, 'c'), { seed: 6 })
  assert.deepEqual(a, b)
  assert.deepEqual(Object.keys(a.files).sort(), ['config.json', 'generation_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json'])
  assert.ok((await readFile(join(root, 'a/onnx/model.onnx'))).equals(await readFile(join(root, 'b/onnx/model.onnx'))))
  assert.ok((await readFile(join(root, 'a/onnx/model_quantized.onnx'))).equals(await readFile(join(root, 'b/onnx/model_quantized.onnx'))), 'the q8 file too')
  assert.ok(a.files['onnx/model_quantized.onnx'].size < a.files['onnx/model.onnx'].size * 0.6, 'q8 weights take a quarter of the bytes')
  assert.notEqual(a.files['onnx/model.onnx'].sha256, c.files['onnx/model.onnx'].sha256)
  assert.equal(a.files['tokenizer.json'].sha256, c.files['tokenizer.json'].sha256)
  // The returned manifest describes what is on disk.
  assert.deepEqual(await computeIntegrity(join(root, 'a')), a)
})

test('ensureTestModels writes missing models, keeps good ones, repairs changed ones', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'wt-models-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const first = await ensureTestModels(root)
  assert.deepEqual(Object.keys(first).sort(), ['webtensor/tiny-bert', 'webtensor/tiny-gpt2'])
  const onnx = join(root, 'webtensor/tiny-gpt2/onnx/model.onnx')
  const before = (await stat(onnx)).mtimeMs
  await new Promise((r) => setTimeout(r, 20))
  assert.deepEqual(await ensureTestModels(root), first)
  assert.equal((await stat(onnx)).mtimeMs, before, 'an intact model is not rewritten')
  await writeFile(onnx, 'damaged')
  await ensureTestModels(root)
  assert.deepEqual(await computeIntegrity(join(root, 'webtensor/tiny-gpt2')), first['webtensor/tiny-gpt2'])
})

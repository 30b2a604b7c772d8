import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { computeIntegrity, ensureTestModels, makeTestModel, ONNX_FILE_OF_DTYPE } from './index.ts'
import { buildTestModelFiles, DEFAULT_TEST_MODEL_SEED } from './node/test-models.ts'

/**
 * sha256 of the default tiny GPT-2's ONNX file of each dtype: the writer must make these bytes on
 * every run and machine (manifests pin them). A deliberate change to a graph updates them here.
 */
const TINY_GPT2_ONNX_SHA256: Record<string, string> = {
  'onnx/model.onnx': '1e6481a9e8a03a9416bee422c5d6965db713383babb6123105070457765e1ded',
  'onnx/model_quantized.onnx': 'fbf4af8cb99440272ed7c9142aa93b5e8b506f6cdc60f0a23bb93f46010ab740',
  'onnx/model_fp16.onnx': '432c67d45ab792c6459d99be9f324d7984d8de14a2b46b3f4be8b72da18c2ef3',
  'onnx/model_q4.onnx': 'a0cf2de56e85f37b7e6176eed3741ca3a6bb5c80f99ca655b61cbae4ea90d96c',
  'onnx/model_q4f16.onnx': '13063ac426c7f290d79d7bf59fa54754add6ef06389748759542b38247a3300c',
}

test('makeTestModel: same seed gives byte-identical files, another seed other weights', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'wt-models-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const a = await makeTestModel('tiny-gpt2', join(root, 'a'), { seed: 5 })
  const b = await makeTestModel('tiny-gpt2', join(root, 'b'), { seed: 5 })
  const c = await makeTestModel('tiny-gpt2', join(root, 'c'), { seed: 6 })
  assert.deepEqual(a, b)
  assert.deepEqual(Object.keys(a.files).sort(), ['config.json', 'generation_config.json', ...Object.values(ONNX_FILE_OF_DTYPE), 'tokenizer.json', 'tokenizer_config.json'].sort())
  for (const file of Object.values(ONNX_FILE_OF_DTYPE)) {
    assert.ok((await readFile(join(root, 'a', file))).equals(await readFile(join(root, 'b', file))), file)
  }
  const size = (dtype: keyof typeof ONNX_FILE_OF_DTYPE) => a.files[ONNX_FILE_OF_DTYPE[dtype]]!.size
  assert.ok(size('q8') < size('fp32') * 0.6, 'q8 weights take a quarter of the bytes')
  assert.ok(size('fp16') < size('fp32') * 0.6, 'fp16 weights take half')
  // q4 keeps the embedding table fp32 for its Gather (the quantizer does not touch Gather) beside
  // the 4-bit head: bigger than fp32 here, where the tied table is most of the model.
  assert.ok(size('q4f16') < size('q4'))
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

test('the default tiny GPT-2 ONNX files have the pinned bytes, every dtype', async () => {
  const files = await buildTestModelFiles('tiny-gpt2', DEFAULT_TEST_MODEL_SEED)
  const got = Object.fromEntries(Object.values(ONNX_FILE_OF_DTYPE).map((f) => [f, createHash('sha256').update(files[f]!).digest('hex')]))
  assert.deepEqual(got, TINY_GPT2_ONNX_SHA256)
})

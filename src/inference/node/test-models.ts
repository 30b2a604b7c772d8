/** Writes the seeded test models (Node). */
import { createHash } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { bertConfig, buildBertOnnx, TINY_BERT } from '../test-models/bert.ts'
import { buildGpt2Onnx, DISTILGPT2_SIZE, GPT2_EOS_ID, gpt2Config, TINY_GPT2, type Gpt2Shape } from '../test-models/gpt2.ts'
import { gpt2TokenizerFiles, jsonBytes } from '../test-models/tokenizer.ts'
import type { ModelIntegrity } from '../types.ts'
import { computeIntegrity } from './integrity.ts'
import { sameIntegrity } from '../integrity.ts'

export type TestModelKind = 'tiny-gpt2' | 'gpt2-distil-size' | 'tiny-bert'

/** The seed the shared test models are built from. */
export const DEFAULT_TEST_MODEL_SEED = 20261122

/** Model ids `ensureTestModels` maintains, and their kinds. */
export const TEST_MODEL_IDS: Record<string, TestModelKind> = {
  'webtensor/tiny-gpt2': 'tiny-gpt2',
  'webtensor/tiny-bert': 'tiny-bert',
}

/** The files of a test model, in memory, path → bytes. */
export async function buildTestModelFiles(kind: TestModelKind, seed: number): Promise<Record<string, Uint8Array>> {
  if (kind === 'tiny-bert') {
    const tok = await gpt2TokenizerFiles(TINY_BERT.maxPositions)
    return { ...tok, 'config.json': jsonBytes(bertConfig(TINY_BERT)), 'onnx/model.onnx': buildBertOnnx(TINY_BERT, seed) }
  }
  const shape: Gpt2Shape = kind === 'tiny-gpt2' ? TINY_GPT2 : DISTILGPT2_SIZE
  const tok = await gpt2TokenizerFiles(shape.nPositions)
  return {
    ...tok,
    'config.json': jsonBytes(gpt2Config(shape)),
    'generation_config.json': jsonBytes({ bos_token_id: GPT2_EOS_ID, eos_token_id: GPT2_EOS_ID }),
    'onnx/model.onnx': buildGpt2Onnx(shape, seed),
    // The same weights in the other formats transformers.js loads by `dtype`, as ONNX Runtime's
    // tools write them: dynamic uint8 (q8), float16 (fp16), 4-bit MatMulNBits (q4, q4f16).
    'onnx/model_quantized.onnx': buildGpt2Onnx(shape, seed, 'q8'),
    'onnx/model_fp16.onnx': buildGpt2Onnx(shape, seed, 'fp16'),
    'onnx/model_q4.onnx': buildGpt2Onnx(shape, seed, 'q4'),
    'onnx/model_q4f16.onnx': buildGpt2Onnx(shape, seed, 'q4f16'),
  }
}

function integrityOf(files: Record<string, Uint8Array>): ModelIntegrity {
  const out: ModelIntegrity = { files: {} }
  for (const name of Object.keys(files).sort()) {
    out.files[name] = { size: files[name].byteLength, sha256: createHash('sha256').update(files[name]).digest('hex') }
  }
  return out
}

async function writeModel(outDir: string, files: Record<string, Uint8Array>): Promise<void> {
  await rm(outDir, { recursive: true, force: true })
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(outDir, ...name.split('/'))
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, bytes)
  }
}

/**
 * Writes a seeded test model into `outDir` (the model folder itself, replaced) and returns its
 * manifest. Same kind and seed → byte-identical files.
 * Example: `await makeTestModel('tiny-gpt2', 'models/webtensor/tiny-gpt2')`.
 */
export async function makeTestModel(kind: TestModelKind, outDir: string, options: { seed?: number } = {}): Promise<ModelIntegrity> {
  const files = await buildTestModelFiles(kind, options.seed ?? DEFAULT_TEST_MODEL_SEED)
  await writeModel(outDir, files)
  return integrityOf(files)
}

const expected = new Map<TestModelKind, Promise<{ files: Record<string, Uint8Array>; integrity: ModelIntegrity }>>()

/**
 * Makes sure `<modelsDir>/webtensor/tiny-gpt2` and `.../tiny-bert` hold exactly the default
 * seeded models, rewriting them when missing or different; returns their manifests by model id.
 */
export async function ensureTestModels(modelsDir: string): Promise<Record<string, ModelIntegrity>> {
  const out: Record<string, ModelIntegrity> = {}
  for (const [id, kind] of Object.entries(TEST_MODEL_IDS)) {
    let want = expected.get(kind)
    if (!want) {
      want = buildTestModelFiles(kind, DEFAULT_TEST_MODEL_SEED).then((files) => ({ files, integrity: integrityOf(files) }))
      expected.set(kind, want)
    }
    const { files, integrity } = await want
    const dir = join(modelsDir, ...id.split('/'))
    const have = await computeIntegrity(dir).catch(() => ({ files: {} }))
    if (!sameIntegrity(have, integrity)) await writeModel(dir, files)
    out[id] = integrity
  }
  return out
}

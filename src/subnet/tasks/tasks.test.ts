// The subnet tasks against real models: honest answers pass; each way of faking the work fails
// with its reason. The "other model" is the same architecture with other seeded weights.
import { before, after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureTestModels, loadModel, makeTestModel, type ModelRunner } from '../../inference/index.ts'
import { embeddingTask, freshNonce, latencyFactor, textGenerationTask, wordsFromNonce, type TextGenerationAnswer } from './index.ts'

let root: string
let gpt: ModelRunner
let otherGpt: ModelRunner
let bert: ModelRunner
let otherBert: ModelRunner

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'wt-tasks-'))
  await ensureTestModels(root)
  await makeTestModel('tiny-gpt2', join(root, 'other', 'tiny-gpt2'), { seed: 1 })
  await makeTestModel('tiny-bert', join(root, 'other', 'tiny-bert'), { seed: 1 })
  ;[gpt, otherGpt, bert, otherBert] = await Promise.all([
    loadModel({ modelId: 'webtensor/tiny-gpt2', localModelPath: root }),
    loadModel({ modelId: 'other/tiny-gpt2', localModelPath: root }),
    loadModel({ modelId: 'webtensor/tiny-bert', localModelPath: root }),
    loadModel({ modelId: 'other/tiny-bert', localModelPath: root }),
  ])
})
after(async () => {
  await Promise.all([gpt, otherGpt, bert, otherBert].map((r) => r?.dispose()))
  await rm(root, { recursive: true, force: true })
})

const params = { maxNewTokens: 16, temperature: 1, promptWords: 8, logprobTolerance: 1e-2, choiceTolerance: 2e-3 }

test('inputs are fresh: a nonce fixes the prompt and seed, and another nonce changes both', () => {
  const task = textGenerationTask(params)
  const n = freshNonce()
  assert.deepEqual(task.makeInput(n), task.makeInput(Uint8Array.from(n)))
  const a = task.makeInput(n)
  const b = task.makeInput(freshNonce())
  assert.notEqual(a.prompt, b.prompt)
  assert.notEqual(a.seed, b.seed)
  assert.equal(a.prompt.split(' ').length, 8)
  assert.notDeepEqual(wordsFromNonce(n, 4, 'x'), wordsFromNonce(n, 4, 'y'))
})

test('text generation: an honest sampled answer verifies; each fake fails with its reason', async () => {
  const task = textGenerationTask(params)
  for (let round = 0; round < 3; round++) {
    const input = task.makeInput(freshNonce())
    const honest = await task.answer(gpt, input)
    assert.equal(honest.tokenIds.length, 16)
    assert.deepEqual(await task.verify(gpt, input, honest), { quality: 1, reason: 'ok', detail: '' })

    const verdictOf = async (a: unknown) => (await task.verify(gpt, input, a)).reason
    // Tokens the sampler would not pick: refused at the first one either as a wrong token or,
    // where the draw lies within float noise of its boundary, by its log-probability.
    const notGenerated = ['wrong_token', 'bad_logprob']
    // Another model of the same shape.
    assert.ok(notGenerated.includes(await verdictOf(await task.answer(otherGpt, input))))
    // A copy of an honest answer to another query (another miner's, or a table entry).
    const other = task.makeInput(freshNonce())
    assert.notEqual(await verdictOf(await task.answer(gpt, other)), 'ok')
    // The right tokens with invented or rounded log-probabilities.
    assert.equal(await verdictOf({ ...honest, logprobs: honest.logprobs.map((l) => Math.round(l)) }), 'bad_logprob')
    assert.equal(await verdictOf({ ...honest, logprobs: honest.logprobs.map(() => -1) }), 'bad_logprob')
    // Truncated, padded, malformed.
    assert.equal(await verdictOf({ tokenIds: honest.tokenIds.slice(0, 8), logprobs: honest.logprobs.slice(0, 8) }), 'truncated')
    assert.equal(await verdictOf({ tokenIds: [...honest.tokenIds, 1], logprobs: [...honest.logprobs, -1] }), 'too_long')
    assert.equal(await verdictOf({ tokenIds: honest.tokenIds }), 'malformed')
    assert.equal(await verdictOf({ tokenIds: honest.tokenIds.map(() => 1e9), logprobs: honest.logprobs }), 'malformed')
    assert.equal(await verdictOf(null), 'malformed')
    // The greedy answer to a sampling query.
    const greedy = await gpt.generate({ prompt: input.prompt, maxNewTokens: 16 })
    assert.ok(notGenerated.includes(await verdictOf({ tokenIds: greedy.tokenIds, logprobs: greedy.logprobs } satisfies TextGenerationAnswer)))
  }
})

test('text generation, greedy subnet: the greedy answer verifies, another model does not', async () => {
  const task = textGenerationTask({ ...params, temperature: 0 })
  const input = task.makeInput(freshNonce())
  assert.equal((await task.verify(gpt, input, await task.answer(gpt, input))).reason, 'ok')
  assert.ok(['wrong_token', 'bad_logprob'].includes((await task.verify(gpt, input, await task.answer(otherGpt, input))).reason))
})

test('a miner refuses inputs outside the subnet limits before any work', () => {
  const task = textGenerationTask(params)
  const input = task.makeInput(freshNonce())
  assert.deepEqual(task.parseInput(input), input)
  assert.throws(() => task.parseInput({ ...input, maxNewTokens: 4096 }), { code: 'bad_task_input' })
  assert.throws(() => task.parseInput({ ...input, temperature: 0.1 }), { code: 'bad_task_input' })
  assert.throws(() => task.parseInput({ ...input, prompt: 'x'.repeat(10_000) }), { code: 'bad_task_input' })
  assert.throws(() => task.parseInput({ ...input, seed: -1 }), { code: 'bad_task_input' })
  assert.throws(() => task.parseInput('nope'), { code: 'bad_task_input' })
})

test('embedding: honest vectors verify; another model and random vectors fail', async () => {
  const task = embeddingTask({ texts: 4, wordsPerText: 8, minCosine: 0.999 })
  const input = task.makeInput(freshNonce())
  assert.deepEqual(task.parseInput(input), input)
  const honest = await task.answer(bert, input)
  assert.equal((await task.verify(bert, input, honest)).reason, 'ok')
  assert.equal((await task.verify(bert, input, await task.answer(otherBert, input))).reason, 'wrong_vector')
  const random = { vectors: honest.vectors.map((v) => v.map(() => Math.random() - 0.5)) }
  assert.equal((await task.verify(bert, input, random)).reason, 'wrong_vector')
  assert.equal((await task.verify(bert, input, { vectors: honest.vectors.slice(1) })).reason, 'malformed')
  // Embeddings of another query's texts.
  assert.equal((await task.verify(bert, input, await task.answer(bert, task.makeInput(freshNonce())))).reason, 'wrong_vector')
})

test('latency factor: full up to the target, linear to zero at the timeout', () => {
  const p = { targetMs: 1000, timeoutMs: 3000 }
  assert.equal(latencyFactor(10, p), 1)
  assert.equal(latencyFactor(2000, p), 0.5)
  assert.equal(latencyFactor(3000, p), 0)
  assert.equal(latencyFactor(Number.NaN, p), 0)
})

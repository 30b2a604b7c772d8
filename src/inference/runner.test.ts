import { before, after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chooseDevice, ensureTestModels, InferenceCancelledError, loadModel, ONNX_FILE_OF_DTYPE, type ModelIntegrity, type ModelRunner } from './index.ts'
import { MIN_LOGPROB_TOLERANCE } from './dtype-tolerance.ts'

/** |generate logprob − score logprob| allowed on one backend (KV-cached steps vs one full pass). */
const SAME_BACKEND_TOLERANCE = 1e-4

let root: string
let runner: ModelRunner
let manifest: ModelIntegrity

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'wt-runner-'))
  manifest = (await ensureTestModels(root))['webtensor/tiny-gpt2']!
  runner = await loadModel({ modelId: 'webtensor/tiny-gpt2', localModelPath: root })
})
after(async () => {
  await runner?.dispose()
  await rm(root, { recursive: true, force: true })
})

test('Node runner reports the cpu device and a reason', () => {
  assert.equal(runner.device, 'cpu')
  assert.match(runner.deviceReason, /onnxruntime-node/)
  assert.equal(runner.modelId, 'webtensor/tiny-gpt2')
})

test('greedy generate is deterministic and self-consistent', async () => {
  const req = { prompt: 'The quick brown fox', maxNewTokens: 16, topK: 3 }
  const a = await runner.generate(req)
  const b = await runner.generate(req)
  assert.deepEqual(a, b)
  assert.deepEqual(a.promptTokenIds, [464, 2068, 7586, 21831]) // GPT-2's own ids for this prompt
  assert.ok(a.tokenIds.length >= 1 && a.tokenIds.length <= 16)
  assert.equal(a.logprobs.length, a.tokenIds.length)
  assert.equal(a.topLogprobs.length, a.tokenIds.length)
  a.tokenIds.forEach((id, i) => {
    assert.equal(a.topLogprobs[i].length, 3)
    // Greedy: the chosen token is the best one, and its logprob is the reported top-1 logprob.
    assert.equal(a.topLogprobs[i][0][0], id)
    assert.equal(a.topLogprobs[i][0][1], a.logprobs[i])
    assert.ok(a.logprobs[i] <= 0)
    assert.ok(a.topLogprobs[i][1][1] <= a.topLogprobs[i][0][1])
  })
  assert.equal(typeof a.text, 'string')
})

test('score agrees with the logprobs generate reported, and its argmax with greedy tokens', async () => {
  const prompt = 'Validators check miners by scoring'
  const g = await runner.generate({ prompt, maxNewTokens: 24 })
  const s = await runner.score({ prompt, tokenIds: g.tokenIds })
  assert.deepEqual(s.argmax, g.tokenIds)
  s.logprobs.forEach((lp, i) => assert.ok(Math.abs(lp - g.logprobs[i]) <= SAME_BACKEND_TOLERANCE, `position ${i}: ${lp} vs ${g.logprobs[i]}`))
  // A tampered answer stands out: a different token at position 0 scores lower than the greedy one.
  const forged = [...g.tokenIds]
  forged[0] = (forged[0] + 1) % 50257
  const f = await runner.score({ prompt, tokenIds: forged })
  assert.ok(f.logprobs[0] < s.logprobs[0])
})

test('seeded sampling is reproducible, and score agrees with sampled tokens too', async () => {
  const req = { prompt: 'Once upon a time', maxNewTokens: 12, greedy: false, temperature: 1.5, seed: 42 }
  const a = await runner.generate(req)
  const b = await runner.generate(req)
  assert.deepEqual(a.tokenIds, b.tokenIds)
  const s = await runner.score({ prompt: req.prompt, tokenIds: a.tokenIds })
  s.logprobs.forEach((lp, i) => assert.ok(Math.abs(lp - a.logprobs[i]) <= SAME_BACKEND_TOLERANCE))
})

test('score replays the seeded sampler: the generated tokens are its picks, another seed\'s are not', async () => {
  const req = { prompt: 'Once upon a time', maxNewTokens: 16, greedy: false, temperature: 1, seed: 7 }
  const g = await runner.generate(req)
  const sampling = { greedy: false, seed: 7, temperature: 1, tolerance: 1e-4 }
  const s = await runner.score({ prompt: req.prompt, tokenIds: g.tokenIds, sampling })
  assert.equal(s.candidates!.length, g.tokenIds.length)
  g.tokenIds.forEach((id, i) => assert.equal(s.candidates![i]![0], id, `position ${i}`))
  assert.equal(s.endsWithEos, false)
  // The same tokens claimed under another seed: the replay picks other tokens somewhere.
  const other = await runner.score({ prompt: req.prompt, tokenIds: g.tokenIds, sampling: { ...sampling, seed: 8 } })
  assert.ok(g.tokenIds.some((id, i) => !other.candidates![i]!.includes(id)))
  // Greedy replay lists the argmax first.
  const greedy = await runner.score({ prompt: req.prompt, tokenIds: g.tokenIds, sampling: { tolerance: 0 } })
  greedy.candidates!.forEach((c, i) => assert.deepEqual(c, [greedy.argmax[i]]))
  await assert.rejects(runner.score({ prompt: 'x', tokenIds: [1], sampling: { tolerance: -1 } }), { code: 'bad_request' })
})

test('cancel stops a running generate with InferenceCancelledError, and the runner stays usable', async () => {
  const running = runner.generate({ prompt: 'Long', maxNewTokens: 400 })
  setTimeout(() => runner.cancel(), 5)
  await assert.rejects(running, InferenceCancelledError)
  const ok = await runner.generate({ prompt: 'Short', maxNewTokens: 2 })
  assert.ok(ok.tokenIds.length >= 1)
})

test('fp16, q4 and q4f16 load in Node: deterministic greedy tokens that score confirms, a tampered file refused naming it', async () => {
  const prompt = 'Validators check miners by scoring'
  for (const dtype of ['fp16', 'q4', 'q4f16'] as const) {
    const file = ONNX_FILE_OF_DTYPE[dtype]
    const others = Object.values(ONNX_FILE_OF_DTYPE).filter((f) => f !== file)
    const pinned: ModelIntegrity = { files: Object.fromEntries(Object.entries(manifest.files).filter(([f]) => !others.includes(f))) }
    const m = await loadModel({ modelId: 'webtensor/tiny-gpt2', localModelPath: root, dtype, integrity: pinned })
    try {
      const g = await m.generate({ prompt, maxNewTokens: 16 })
      assert.deepEqual((await m.generate({ prompt, maxNewTokens: 16 })).tokenIds, g.tokenIds, `${dtype}: deterministic`)
      const s = await m.score({ prompt, tokenIds: g.tokenIds })
      assert.deepEqual(s.argmax, g.tokenIds, `${dtype}: score's argmax = greedy tokens`)
      // float16 sums differ between a KV-cached step and one full pass: the dtype's tolerance, not 1e-4.
      const gap = Math.max(...s.logprobs.map((lp, i) => Math.abs(lp - g.logprobs[i]!)))
      assert.ok(gap <= MIN_LOGPROB_TOLERANCE[dtype], `${dtype}: score vs generate ${gap}`)
    } finally {
      await m.dispose()
    }
    const wrong: ModelIntegrity = { files: { ...pinned.files, [file]: { ...pinned.files[file]!, sha256: '0'.repeat(64) } } }
    await assert.rejects(loadModel({ modelId: 'webtensor/tiny-gpt2', localModelPath: root, dtype, integrity: wrong }), { name: 'ModelIntegrityError', file })
  }
})

test('bad requests are refused with typed errors', async () => {
  await assert.rejects(runner.generate({ prompt: '', maxNewTokens: 2 }), { code: 'bad_request' })
  await assert.rejects(runner.score({ prompt: 'x', tokenIds: [50257] }), { code: 'bad_request' })
})

test('chooseDevice in Node: cpu for auto/cpu, browser devices refused', async () => {
  assert.equal((await chooseDevice()).device, 'cpu')
  assert.equal((await chooseDevice('cpu')).device, 'cpu')
  await assert.rejects(chooseDevice('webgpu'), { code: 'device_unavailable' })
  await assert.rejects(loadModel({ modelId: 'webtensor/tiny-gpt2', localModelPath: root, device: 'wasm' }), { code: 'device_unavailable' })
})

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureTestModels, loadModel, type ModelRunner } from './index.ts'

let root: string
let bert: ModelRunner

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'wt-embed-'))
  await ensureTestModels(root)
  bert = await loadModel({ modelId: 'webtensor/tiny-bert', localModelPath: root })
})
after(async () => {
  await bert?.dispose()
  await rm(root, { recursive: true, force: true })
})

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0)

test('embed returns one unit vector per text, of the model width', async () => {
  assert.ok(bert.embed, 'an encoder runner has embed')
  const v = await bert.embed(['a miner', 'a validator checks the miner', ''])
  assert.equal(v.length, 3)
  for (const x of v.slice(0, 2)) {
    assert.equal(x.length, 64)
    assert.ok(Math.abs(dot(x, x) - 1) < 1e-9)
  }
  assert.ok(v[2].every((x) => x === 0), 'an empty text (no tokens) gives the zero vector')
})

test('embeddings do not depend on batch padding and are deterministic', async () => {
  const [alone] = await bert.embed!(['short text'])
  const [padded] = await bert.embed!(['short text', 'a much longer text that forces padding of the first one in the batch'])
  assert.ok(1 - dot(alone, padded) < 1e-5, `cosine ${dot(alone, padded)}`)
  assert.deepEqual(await bert.embed!(['short text']), [alone])
  const [other] = await bert.embed!(['something else entirely'])
  assert.ok(dot(alone, other) < 0.9999, 'different texts give different vectors')
})

test('an encoder refuses generate and score with a typed error', async () => {
  await assert.rejects(bert.generate({ prompt: 'x', maxNewTokens: 1 }), { code: 'bad_request' })
  await assert.rejects(bert.score({ prompt: 'x', tokenIds: [1] }), { code: 'bad_request' })
})

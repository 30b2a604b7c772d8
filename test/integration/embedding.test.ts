// The embedding task end to end: the manifest names it, miners embed the validator's fresh texts,
// the validator compares with its own vectors. Honest miners take the incentive; a miner on
// another model and one returning random vectors get nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadModel, makeTestModel } from '../../src/inference/index.ts'
import { createTask, type EmbeddingAnswer, type EmbeddingInput, type SubnetTask } from '../../src/subnet/index.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'
import { loadNodeRunner, readManifest } from '../../src/cli/stack.ts'
import { until } from '../p2p/harness.ts'
import { incentiveShares, startTestSubnet } from '../support/subnet.ts'

test('embedding subnet: honest miners earn ≥ 95%; another model and random vectors < 1%', { timeout: 240_000 }, async () => {
  const manifest = readManifest(DEFAULT_MANIFEST)
  manifest.task = { name: 'embedding', texts: 4, wordsPerText: 8, minCosine: 0.999 }
  manifest.model = { id: 'webtensor/tiny-bert', source: 'relay', dtype: 'fp32', integrity: null }
  manifest.chain.blockTimeMs = 300
  manifest.chain.tempo = 10
  manifest.validation.queryIntervalMs = 1000
  const subnet = await startTestSubnet(manifest)
  try {
    const otherDir = mkdtempSync(join(tmpdir(), 'wt-other-bert-'))
    await makeTestModel('tiny-bert', join(otherDir, 'other', 'tiny-bert'), { seed: 1 })
    const honest = createTask(manifest.task) as SubnetTask<EmbeddingInput, EmbeddingAnswer>
    const randomVectors: SubnetTask = {
      ...(honest as SubnetTask),
      answer: async (r, input) => ({ vectors: (await honest.answer(r, input as EmbeddingInput)).vectors.map((v) => v.map(() => Math.random() - 0.5)) }),
    }
    const cast = [
      { name: 'honest-0', honest: true, task: honest as SubnetTask, other: false },
      { name: 'honest-1', honest: true, task: honest as SubnetTask, other: false },
      { name: 'other-model', honest: false, task: honest as SubnetTask, other: true },
      { name: 'random-vectors', honest: false, task: randomVectors, other: false },
    ]
    const miners: (Omit<(typeof cast)[number], 'task'> & Awaited<ReturnType<typeof subnet.addMiner>>)[] = []
    for (const [i, c] of cast.entries()) {
      const runner = c.other ? await loadModel({ modelId: 'other/tiny-bert', localModelPath: otherDir }) : await loadNodeRunner(manifest, DEFAULT_MODELS_DIR, () => {})
      subnet.onStop(() => runner.dispose())
      miners.push({ name: c.name, honest: c.honest, other: c.other, ...(await subnet.addMiner({ secret: `//EmbeddingMiner${i}`, runner, task: c.task, agent: c.name })) })
    }
    const { owner, validator } = subnet
    await until('every miner registered', () => miners.every((m) => m.node.stats().uid !== null), 90_000)
    const uids = new Map(miners.map((m) => [m.name, m.node.stats().uid!]))
    await until('weights covering every miner', () => [...uids.values()].every((u) => validator.validator.stats().scores[u] !== undefined), 90_000)
    const first = owner.owner.latestEpoch()?.epoch ?? 0
    await until('two more epochs', () => (owner.owner.latestEpoch()?.epoch ?? 0) >= first + 2, 90_000)
    const last = owner.owner.latestEpoch()!
    const share = incentiveShares(last, uids)
    console.log(`embedding epoch ${last.epoch}: shares ${JSON.stringify(Object.fromEntries([...share].map(([k, v]) => [k, Number(v.toFixed(4))])))}; verdicts ${JSON.stringify(validator.validator.stats().verdicts)}`)
    assert.ok([...uids.values()].some((u) => (last.incentive[u] ?? 0) > 0), 'miners earn incentive')
    assert.ok(miners.filter((m) => m.honest).reduce((s, m) => s + share.get(m.name)!, 0) >= 0.95)
    for (const m of miners.filter((x) => !x.honest)) assert.ok(share.get(m.name)! < 0.01, `${m.name}: ${share.get(m.name)}`)
  } finally {
    await subnet.stop()
  }
})

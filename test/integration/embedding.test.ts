// The embedding task end to end: the manifest names it, miners embed the validator's fresh texts,
// the validator compares with its own vectors. Honest miners take the incentive; a miner on
// another model and one returning random vectors get nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGossipChainClient } from '../../src/chain/gossip-client.ts'
import { loadModel, makeTestModel } from '../../src/inference/index.ts'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import { createMinerNode, type MinerNode } from '../../src/node/miner.ts'
import { createMesh, createRelay } from '../../src/p2p/index.ts'
import { createTask, type EmbeddingAnswer, type EmbeddingInput, type SubnetTask } from '../../src/subnet/tasks/index.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'
import { loadNodeRunner, readManifest, startOwner, startValidator } from '../../src/cli/stack.ts'
import { until } from '../p2p/harness.ts'

test('embedding subnet: honest miners earn ≥ 95%; another model and random vectors < 1%', { timeout: 240_000 }, async () => {
  const manifest = readManifest(DEFAULT_MANIFEST)
  manifest.task = { name: 'embedding', texts: 4, wordsPerText: 8, minCosine: 0.999 }
  manifest.model = { id: 'webtensor/tiny-bert', source: 'relay', integrity: null }
  manifest.chain.blockTimeMs = 300
  manifest.chain.tempo = 10
  manifest.validation.queryIntervalMs = 1000
  const log = (): void => {}
  const relay = await createRelay({ host: '127.0.0.1', port: 0, keyFile: join(mkdtempSync(join(tmpdir(), 'wt-emb-')), 'relay.key') })
  await relay.start()
  const stoppers: (() => Promise<void>)[] = [() => relay.stop()]
  try {
    const bootstrap = relay.multiaddrs
    const owner = await startOwner({ manifest, bootstrap, host: '127.0.0.1', log })
    stoppers.push(() => owner.mesh.stop(), () => owner.owner.stop())
    const validator = await startValidator({ manifest, secret: manifest.validators[0]!.devSecret!, bootstrap, host: '127.0.0.1', modelsDir: DEFAULT_MODELS_DIR, log })
    stoppers.push(() => validator.mesh.stop(), () => validator.validator.stop(), () => validator.runner.dispose())
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
    const miners: { name: string; honest: boolean; node: MinerNode }[] = []
    for (const [i, c] of cast.entries()) {
      const runner = c.other ? await loadModel({ modelId: 'other/tiny-bert', localModelPath: otherDir }) : await loadNodeRunner(manifest, DEFAULT_MODELS_DIR, log)
      stoppers.push(() => runner.dispose())
      const hotkey = await hotkeyFromSecret(`//EmbeddingMiner${i}`)
      const mesh = await createMesh({ netuid: manifest.netuid, signer: hotkey, bootstrap, listen: ['/ip4/127.0.0.1/tcp/0/ws'], allowPrivateAddresses: true })
      await mesh.start()
      const chain = createGossipChainClient({ mesh, netuid: manifest.netuid, ownerHotkey: manifest.owner.hotkey })
      const node = createMinerNode({ manifest, mesh, chain, runner, signer: hotkey, agent: c.name, task: c.task })
      await node.start()
      stoppers.push(() => mesh.stop(), () => node.stop())
      miners.push({ name: c.name, honest: c.honest, node })
    }
    await until('every miner registered', () => miners.every((m) => m.node.stats().uid !== null), 90_000)
    const uids = new Map(miners.map((m) => [m.name, m.node.stats().uid!]))
    await until('weights covering every miner', () => [...uids.values()].every((u) => validator.validator.stats().scores[u] !== undefined), 90_000)
    const first = owner.owner.latestEpoch()?.epoch ?? 0
    await until('two more epochs', () => (owner.owner.latestEpoch()?.epoch ?? 0) >= first + 2, 90_000)
    const last = owner.owner.latestEpoch()!
    const total = miners.reduce((s, m) => s + (last.incentive[uids.get(m.name)!] ?? 0), 0)
    const share = (name: string) => (last.incentive[uids.get(name)!] ?? 0) / Math.max(total, 1)
    console.log(`embedding epoch ${last.epoch}: shares ${JSON.stringify(Object.fromEntries(miners.map((m) => [m.name, Number(share(m.name).toFixed(4))])))}; verdicts ${JSON.stringify(validator.validator.stats().verdicts)}`)
    assert.ok(total > 0)
    assert.ok(miners.filter((m) => m.honest).reduce((s, m) => s + share(m.name), 0) >= 0.95)
    for (const m of miners.filter((x) => !x.honest)) assert.ok(share(m.name) < 0.01, `${m.name}: ${share(m.name)}`)
  } finally {
    for (const stop of stoppers.reverse()) await stop().catch(() => {})
  }
})

// The subnet pays only for real work. A Node subnet (relay, owner, one validator) with honest
// miners and every kind of cheater the protocol must defeat, over several epochs; plus a stranger
// flooding the miners with queries. Prints each miner's share of incentive.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { loadModel, makeTestModel, type ModelRunner } from '../../src/inference/index.ts'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import type { MinerNode } from '../../src/node/index.ts'
import { createMesh, type Mesh } from '../../src/p2p/index.ts'
import { QUERY_REQUEST, seal } from '../../src/subnet/exchange.ts'
import { createTask, freshNonce, type SubnetTask, type TextGenerationAnswer, type TextGenerationInput } from '../../src/subnet/tasks/index.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'
import { loadNodeRunner, readManifest } from '../../src/cli/stack.ts'
import { until } from '../p2p/harness.ts'
import { incentiveShares, startTestSubnet } from '../support/subnet.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('honest miners earn ≥ 95% of miner incentive; every cheater < 1%; a query flood changes nothing', { timeout: 300_000 }, async () => {
  const manifest = readManifest(DEFAULT_MANIFEST)
  manifest.chain.blockTimeMs = 300
  manifest.chain.tempo = 10
  manifest.validation.queryIntervalMs = 1000
  manifest.validation.responseTimeoutMs = 4000
  manifest.validation.latencyTargetMs = 3000
  const log = (): void => {}
  const subnet = await startTestSubnet(manifest)
  const stoppers: (() => Promise<void>)[] = [() => subnet.stop()]
  try {
    const { bootstrap, owner, validator } = subnet
    const runner = await loadNodeRunner(manifest, DEFAULT_MODELS_DIR, log)
    // Same architecture and tokenizer, other weights: "a smaller or different model".
    const otherDir = mkdtempSync(join(tmpdir(), 'wt-other-'))
    await makeTestModel('tiny-gpt2', join(otherDir, 'other', 'tiny-gpt2'), { seed: 1 })
    const otherRunner = await loadModel({ modelId: 'other/tiny-gpt2', localModelPath: otherDir })
    stoppers.push(() => runner.dispose(), () => otherRunner.dispose())

    const honest = createTask(manifest.task) as SubnetTask<TextGenerationInput, TextGenerationAnswer>
    // The answers honest miner 0 gave, for the copier: the strongest copier sees every answer at once.
    let lastHonestAnswer: TextGenerationAnswer | null = null
    const recordingHonest: SubnetTask = {
      ...honest,
      answer: async (r, input) => (lastHonestAnswer = await honest.answer(r, input as TextGenerationInput)),
    }
    // An answer table computed offline for prompts the attacker could guess.
    const table = await Promise.all(
      Array.from({ length: 6 }, () => honest.makeInput(freshNonce())).map((input) => honest.answer(runner, input)),
    )
    const cheat = (answer: (input: TextGenerationInput, r: ModelRunner) => Promise<unknown>): SubnetTask => ({ ...honest, answer: (r, input) => answer(input as TextGenerationInput, r) as Promise<never> })
    const cast: { name: string; honest: boolean; task: SubnetTask; runner: ModelRunner }[] = [
      { name: 'honest-0', honest: true, task: recordingHonest, runner },
      { name: 'honest-1', honest: true, task: honest as SubnetTask, runner },
      { name: 'honest-2', honest: true, task: honest as SubnetTask, runner },
      { name: 'answer-table', honest: false, task: cheat(async () => table[Math.floor(Math.random() * table.length)]), runner },
      { name: 'copier', honest: false, task: cheat(async () => lastHonestAnswer ?? table[0]), runner },
      { name: 'other-model', honest: false, task: honest as SubnetTask, runner: otherRunner },
      {
        name: 'rounded-logprobs',
        honest: false,
        task: cheat(async (input, r) => {
          const a = await honest.answer(r, input)
          return { ...a, logprobs: a.logprobs.map((l) => Math.round(l * 10) / 10) }
        }),
        runner,
      },
      {
        name: 'invented-logprobs',
        honest: false,
        task: cheat(async (input, r) => {
          const a = await honest.answer(r, input)
          return { ...a, logprobs: a.logprobs.map(() => -2.5) }
        }),
        runner,
      },
      {
        name: 'slow',
        honest: false,
        task: cheat(async (input, r) => {
          await sleep(manifest.validation.responseTimeoutMs + 500)
          return honest.answer(r, input)
        }),
        runner,
      },
    ]
    const miners: { name: string; honest: boolean; hotkey: string; peerId: string; addrs: string[]; node: MinerNode }[] = []
    for (const [i, c] of cast.entries()) {
      // Each miner its own model session, as on its own machine: one shared session would queue
      // every miner's work behind the others'.
      const own = c.runner === runner ? await loadNodeRunner(manifest, DEFAULT_MODELS_DIR, log) : c.runner
      if (own !== c.runner) stoppers.push(() => own.dispose())
      miners.push({ name: c.name, honest: c.honest, ...(await subnet.addMiner({ secret: `//IntegrationMiner${i}`, runner: own, task: c.task, agent: c.name })) })
    }

    // A stranger without a validator permit floods every miner with valid-looking queries.
    const strangerKey = await hotkeyFromSecret('//Stranger')
    const stranger: Mesh = await createMesh({ netuid: manifest.netuid, signer: strangerKey, bootstrap, listen: ['/ip4/127.0.0.1/tcp/0/ws'], allowPrivateAddresses: true })
    await stranger.start()
    stoppers.push(() => stranger.stop())
    // It dials every miner directly: the flood reaches each one.
    for (const m of miners) await stranger.libp2p.dial(multiaddr(m.addrs[0]!))
    let flooding = true
    let floodSent = 0
    const flood = (async () => {
      while (flooding) {
        for (const m of miners) {
          const input = honest.makeInput(freshNonce())
          const bytes = seal(stranger, strangerKey, manifest.netuid, 'query', { id: `flood-${floodSent}`, miner: m.hotkey, task: 'text-generation', input: { ...input, maxNewTokens: 512 } })
          floodSent++
          stranger.request(m.peerId, QUERY_REQUEST, bytes, { timeoutMs: 2000 }).catch(() => {})
        }
        await sleep(200)
      }
    })()
    stoppers.push(async () => {
      flooding = false
      await flood
    })

    await until('every miner registered', () => miners.every((m) => m.node.stats().uid !== null), 90_000)
    const uids = new Map(miners.map((m) => [m.name, m.node.stats().uid!]))
    // Three epochs after every miner has been weighted at least once.
    await until('weights covering every miner', () => [...uids.values()].every((u) => validator.validator.stats().scores[u] !== undefined), 90_000)
    const first = owner.owner.latestEpoch()?.epoch ?? 0
    await until('three more epochs', () => (owner.owner.latestEpoch()?.epoch ?? 0) >= first + 3, 90_000)
    const last = owner.owner.latestEpoch()!

    const share = incentiveShares(last, uids)
    const minerTotal = [...uids.values()].reduce((sum, u) => sum + (last.incentive[u] ?? 0), 0)
    const vstats = validator.validator.stats()
    console.log(`epoch ${last.epoch}: miner incentive share ${JSON.stringify(Object.fromEntries([...share].map(([k, v]) => [k, Number(v.toFixed(4))])))}`)
    console.log(`miners: ${JSON.stringify(miners.map((m) => ({ name: m.name, ...m.node.stats() })))}`)
    console.log(`validator verdicts ${JSON.stringify(vstats.verdicts)}, failures ${JSON.stringify(vstats.failures)}; stranger sent ${floodSent} queries; refusals at honest-1: ${JSON.stringify(miners[1]!.node.stats().queriesRefused)}`)

    assert.ok(minerTotal > 0, 'miners earn incentive')
    const honestShare = miners.filter((m) => m.honest).reduce((s, m) => s + share.get(m.name)!, 0)
    assert.ok(honestShare >= 0.95, `honest miners' share ${honestShare}`)
    for (const m of miners.filter((x) => !x.honest)) assert.ok(share.get(m.name)! < 0.01, `${m.name} earned ${share.get(m.name)}`)
    // The flood was refused unread (no permit, or the stranger's neighbour rate) and never took an honest answer's place.
    for (const m of miners.filter((x) => x.honest)) {
      const s = m.node.stats()
      const refusedFlood = (s.queriesRefused.no_permit ?? 0) + (s.queriesRefused.rate_limit_peer ?? 0)
      assert.ok(refusedFlood > 0, `${m.name} saw the flood`)
      assert.ok(vstats.scores[uids.get(m.name)!]! > 0.9, `${m.name} keeps its score under the flood: ${vstats.scores[uids.get(m.name)!]}`)
    }
    assert.ok((vstats.verdicts.ok ?? 0) > 0)
  } finally {
    for (const stop of stoppers.reverse()) await stop().catch(() => {})
  }
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGossipChainClient } from '../../src/chain/gossip-client.ts'
import type { ModelRunner } from '../../src/inference/index.ts'
import { hotkeyFromSecret } from '../../src/node/identity.ts'
import { createMinerNode } from '../../src/node/miner.ts'
import { createMesh, createRelay } from '../../src/p2p/index.ts'
import { U16_MAX } from '../../src/scoring/weights.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'
import { loadNodeRunner, readManifest, startOwner, startValidator } from '../../src/cli/stack.ts'

/** A miner that runs the real model but answers with other tokens: what a cheater looks like. */
function corrupt(runner: ModelRunner): ModelRunner {
  return {
    ...runner,
    modelId: runner.modelId,
    device: runner.device,
    deviceReason: runner.deviceReason,
    generate: async (req) => {
      const out = await runner.generate(req)
      return { ...out, tokenIds: out.tokenIds.map((t, i) => (i === 0 ? t : (t + 1) % 50257)) }
    },
    score: (r) => runner.score(r),
    cancel: () => runner.cancel(),
    dispose: () => runner.dispose(),
  }
}

test('a subnet of Node peers: honest miner out-earns a cheating one; validator earns dividends', { timeout: 180_000 }, async () => {
  const manifest = readManifest(DEFAULT_MANIFEST)
  // A faster clock than the default, so three epochs pass quickly.
  manifest.chain.blockTimeMs = 250
  manifest.chain.tempo = 8
  manifest.validation.queryIntervalMs = 400
  const log = (): void => {}
  const relay = await createRelay({ host: '127.0.0.1', port: 0, keyFile: join(mkdtempSync(join(tmpdir(), 'wt-int-')), 'relay.key') })
  await relay.start()
  const stoppers: (() => Promise<void>)[] = [() => relay.stop()]
  try {
    const bootstrap = relay.multiaddrs
    const owner = await startOwner({ manifest, bootstrap, host: '127.0.0.1', log })
    stoppers.push(() => owner.mesh.stop(), () => owner.owner.stop())
    const validator = await startValidator({ manifest, secret: manifest.validators[0]!.devSecret!, bootstrap, host: '127.0.0.1', modelsDir: DEFAULT_MODELS_DIR, log })
    stoppers.push(() => validator.mesh.stop(), () => validator.validator.stop(), () => validator.runner.dispose())

    const runner = await loadNodeRunner(manifest, DEFAULT_MODELS_DIR, log)
    stoppers.push(() => runner.dispose())
    const miners: { hotkey: Awaited<ReturnType<typeof hotkeyFromSecret>>; miner: ReturnType<typeof createMinerNode> }[] = []
    for (const [secret, r] of [['//HonestMiner', runner], ['//CheatingMiner', corrupt(runner)]] as const) {
      const hotkey = await hotkeyFromSecret(secret)
      const mesh = await createMesh({ netuid: manifest.netuid, signer: hotkey, bootstrap, listen: ['/ip4/127.0.0.1/tcp/0/ws'], allowPrivateAddresses: true })
      await mesh.start()
      const chain = createGossipChainClient({ mesh, netuid: manifest.netuid, ownerHotkey: manifest.owner.hotkey })
      const miner = createMinerNode({ manifest, mesh, chain, runner: r, hotkey: hotkey.address, agent: 'test' })
      await miner.start()
      stoppers.push(() => mesh.stop(), () => miner.stop())
      miners.push({ hotkey, miner })
    }

    // Wait until both are registered, then for an epoch in which both have been weighted (on a
    // busy machine that can take a few epochs: answers that come after the timeout score 0).
    const deadline = async (cond: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 1500 && !cond(); i++) await new Promise((r) => setTimeout(r, 100))
      assert.ok(cond(), `timed out waiting for ${what}: ${JSON.stringify({ owner: owner.owner.stats(), validator: validator.validator.stats() })}`)
    }
    await deadline(() => miners.every((m) => m.miner.stats().uid !== null), 'registration')
    const uids = miners.map((m) => m.miner.stats().uid!)
    await deadline(() => {
      const e = owner.owner.latestEpoch()
      return e !== null && uids.every((u) => (e.incentive[u] ?? 0) > 0)
    }, 'an epoch that rewards both miners')

    const last = owner.owner.latestEpoch()!
    const [honest, cheater] = miners.map((m) => m.miner.stats())
    assert.ok(honest!.queriesAnswered > 0 && cheater!.queriesAnswered > 0, 'both answered')
    const inc = (uid: number | null): number => last.incentive[uid!]! / U16_MAX
    assert.ok(inc(honest!.uid) > 0, 'honest miner earns incentive')
    assert.ok(inc(honest!.uid) > inc(cheater!.uid), `honest ${inc(honest!.uid)} > cheater ${inc(cheater!.uid)}`)
    const vUid = 1 // genesis: the owner is uid 0 and the manifest's validators follow
    assert.ok(last.dividends[vUid]! > 0, 'the validator earns dividends')
    const vstats = validator.validator.stats()
    assert.ok(vstats.scores[honest!.uid!]! > vstats.scores[cheater!.uid!]!, 'the validator scores the honest miner higher')
    assert.equal(owner.owner.stats().weightsRefused.no_permit ?? 0, 0)
  } finally {
    for (const stop of stoppers.reverse()) await stop().catch(() => {})
  }
})

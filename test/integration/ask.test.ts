// Asking the network from Node: `connect` joins a real subnet (relay, owner, validator, miners on
// onnxruntime-node), chooses miners by incentive, and yields only answers signed by the registered
// miner it asked; a forged or re-signed answer is dropped and reported; a miner keeps its budget.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AskRefusedError, connect, verifyAnswer, type AskAnswer } from '../../src/client/index.ts'
import { hotkeyFromSecret } from '../../src/identity/index.ts'
import { requestProtocol } from '../../src/p2p/index.ts'
import { ASK_REQUEST, DirectDoor, askPolicyFor, seal } from '../../src/subnet/index.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'
import { loadNodeRunner, readManifest } from '../../src/cli/stack.ts'
import { until } from '../p2p/harness.ts'
import { startTestSubnet } from '../support/subnet.ts'

test('an embedding subnet serves no asks: its answers are the validated work itself', () => {
  const manifest = readManifest(DEFAULT_MANIFEST)
  assert.equal(askPolicyFor(manifest.task).enabled, manifest.task.name === 'text-generation')
  const off = askPolicyFor({ name: 'embedding', texts: 4, wordsPerText: 8, minCosine: 0.999 })
  assert.equal(off.enabled, false)
  assert.match(off.reason!, /deterministic/)
})

test('network.ask from Node: signed answers from the best-paid miners; forged answers dropped; per-asker budget kept', { timeout: 300_000 }, async () => {
  const manifest = readManifest(DEFAULT_MANIFEST)
  manifest.chain.blockTimeMs = 300
  manifest.chain.tempo = 10
  manifest.validation.queryIntervalMs = 1000
  manifest.validation.responseTimeoutMs = 4000
  manifest.validation.latencyTargetMs = 3000
  const log = (): void => {}
  const subnet = await startTestSubnet(manifest)
  try {
    const runners = await Promise.all([0, 1, 2].map(() => loadNodeRunner(manifest, DEFAULT_MODELS_DIR, log)))
    for (const r of runners) subnet.onStop(() => r.dispose())
    const a = await subnet.addMiner({ secret: '//AskMinerA', runner: runners[0]!, agent: 'honest-a' })
    const b = await subnet.addMiner({ secret: '//AskMinerB', runner: runners[1]!, agent: 'honest-b', ask: { perAskerPerMinute: 1 } })
    const forger = await subnet.addMiner({ secret: '//AskForger', runner: runners[2]!, agent: 'forger' })
    // The forger mines honestly (it is registered and paid) but answers asks with forgeries:
    // first an answer signed by another hotkey, then a genuine one with its signature altered.
    const mallory = await hotkeyFromSecret('//Mallory')
    const forgerKey = await hotkeyFromSecret('//AskForger')
    const door = new DirectDoor({ netuid: manifest.netuid })
    let forged = 0
    await forger.mesh.libp2p.unhandle(requestProtocol(manifest.netuid, ASK_REQUEST))
    await forger.mesh.handle(ASK_REQUEST, (bytes, from) => {
      const ask = door.open(bytes, 'ask', from)
      const payload = { askId: ask.payload.id, asker: ask.hotkey, text: 'trust me', tokens: 2 }
      if (forged++ % 2 === 0) return seal(forger.mesh, mallory, manifest.netuid, 'answer', payload)
      const genuine = seal(forger.mesh, forgerKey, manifest.netuid, 'answer', payload)
      genuine[genuine.length - 1]! ^= 0x01 // the signature is the last field of [body, signature]
      return genuine
    })

    await until('every miner registered', () => [a, b, forger].every((m) => m.node.stats().uid !== null), 90_000)
    const network = await connect({ relay: subnet.bootstrap, manifest })
    subnet.onStop(() => network.close())
    await network.ready({ miners: 3, timeoutMs: 60_000 })
    // Wait for an epoch that paid miners, so the choice by incentive is a real one.
    await until('an epoch paying the miners', () => network.chain.latestEpoch()?.incentive.some((x, uid) => x > 0 && uid !== 0) === true, 120_000)
    const ranked = network.miners()
    assert.equal(ranked.length, 3)
    for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i - 1]!.incentive >= ranked[i]!.incentive, `ranked by incentive: ${JSON.stringify(ranked)}`)
    assert.ok(!ranked.some((m) => m.hotkey === manifest.owner.hotkey), 'the owner is not a miner to ask')
    // Miners serve validators first: an ask waits at most 5 s for queries in progress, then is
    // refused as busy (src/node/roles.test.ts). On a loaded machine the validator's queries every
    // second can keep a miner busy that long, so the validator stops here: the incentive it paid
    // stays, and every ask below meets an idle miner.
    await subnet.validator.validator.stop()

    const uids = new Map([a, b, forger].map((m) => [m.hotkey, m.node.stats().uid!]))
    subnet.onStop(async () => console.log('refusals:', JSON.stringify([a, b, forger].map((m) => m.node.stats().queriesRefused))))
    const errors: { uid: number; code: string }[] = []
    const answers: AskAnswer[] = []
    for await (const ans of network.ask('The capital of France is', { miners: 3, maxNewTokens: 8, onError: (err, m) => errors.push({ uid: m.uid, code: (err as Error & { code: string }).code }) })) {
      answers.push(ans)
    }
    console.log(`answers: ${answers.map((x) => `uid ${x.uid} ${x.tokens} tokens ${x.latencyMs} ms ${JSON.stringify(x.text)}`).join(' | ')}; dropped: ${JSON.stringify(errors)}`)
    assert.deepEqual(new Set(answers.map((x) => x.uid)), new Set([uids.get(a.hotkey), uids.get(b.hotkey)]), `dropped: ${JSON.stringify(errors)}`)
    for (const ans of answers) {
      assert.equal(uids.get(ans.hotkey), ans.uid)
      assert.ok(ans.tokens > 0 && ans.tokens <= 8 && ans.text.length > 0)
      const env = verifyAnswer(ans.signed, manifest.netuid)
      assert.equal(env.hotkey, ans.hotkey)
      assert.equal(env.payload.asker, network.hotkey)
    }
    assert.deepEqual(errors, [{ uid: uids.get(forger.hotkey)!, code: 'wrong_signer' }])
    // The forger's second form: a real hotkey, an altered signature.
    const again: string[] = []
    for await (const ans of network.ask('Tell me a story', { miners: 3, maxNewTokens: 4, onError: (err, m) => m.hotkey === forger.hotkey && again.push((err as Error & { code: string }).code) })) {
      assert.notEqual(ans.hotkey, forger.hotkey)
    }
    assert.deepEqual(again, ['bad_signature'])
    // Miner b serves one ask a minute to each asker (a burst of 2): its third ask in a minute is refused.
    const bTarget = network.miners().find((m) => m.hotkey === b.hotkey)!
    const refused: Error[] = []
    const third: string[] = []
    for await (const ans of network.ask('Once more', { miners: 3, maxNewTokens: 4, onError: (err, m) => m.hotkey === bTarget.hotkey && refused.push(err) })) third.push(ans.hotkey)
    assert.deepEqual(third, [a.hotkey])
    assert.equal(refused.length, 1, `b refused the third ask: ${refused.map((e) => e.message).join('; ')}`)
    // The asker is told why and when to come back: one ask a minute is one token every 60 s.
    const why = refused[0]!
    assert.ok(why instanceof AskRefusedError, why.message)
    assert.equal(why.code, 'refused')
    assert.equal(why.reason, 'ask_rate_limit_peer')
    assert.equal(why.retryAfterMs, 60_000)
    assert.match(why.message, /refused the ask \(ask_rate_limit_peer\).*try again in 60 s/)
    // The same asker on the same peer: the per-peer bucket (checked before the signature) refuses it.
    const bRefused = b.node.stats().queriesRefused
    assert.equal((bRefused.ask_rate_limit_peer ?? 0) + (bRefused.ask_rate_limit_hotkey ?? 0), 1, JSON.stringify(bRefused))
    assert.equal(a.node.stats().asksAnswered, 3)
  } finally {
    await subnet.stop()
  }
})

// Asking the network from a page: `connect` and `network.ask` bundled for Chromium join a real
// subnet (relay, owner, validator, Node miners), and the page gets answers signed by the
// registered miners it asked; a miner that forges its answers is dropped in the page too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { verifyAnswer } from '../../src/client/index.ts'
import { hotkeyFromSecret } from '../../src/identity/index.ts'
import { requestProtocol } from '../../src/p2p/index.ts'
import { ASK_REQUEST, DirectDoor, seal } from '../../src/subnet/index.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'
import { loadNodeRunner, readManifest } from '../../src/cli/stack.ts'
import { TEST_HOST } from '../support/browser.ts'
import { openScriptPage } from '../support/script-page.ts'
import { until } from '../p2p/harness.ts'
import { startTestSubnet } from '../support/subnet.ts'

const CLIENT = fileURLToPath(new URL('../../src/client/index.ts', import.meta.url))

/** A page whose `window.askNetwork(relay, manifest, prompt)` connects, asks and returns what it got. */
const PAGE = `
import { connect } from ${JSON.stringify(CLIENT)}
;(window as any).askNetwork = async (relay: string[], manifest: any, prompt: string) => {
  const network = await connect({ relay, manifest })
  try {
    await network.ready({ miners: 3, timeoutMs: 90_000 })
    const answers: unknown[] = []
    const dropped: unknown[] = []
    for await (const a of network.ask(prompt, { miners: 3, maxNewTokens: 6, onError: (e, m) => dropped.push({ uid: m.uid, code: (e as any).code }) })) {
      answers.push({ uid: a.uid, hotkey: a.hotkey, text: a.text, tokens: a.tokens, signed: Array.from(a.signed) })
    }
    return { asker: network.hotkey, answers, dropped }
  } finally {
    await network.close()
  }
}
`

test('network.ask in a page: answers signed by the registered miners asked; a forger dropped', { timeout: 300_000 }, async () => {
  const manifest = readManifest(DEFAULT_MANIFEST)
  manifest.chain.blockTimeMs = 300
  manifest.chain.tempo = 10
  const log = (): void => {}
  const subnet = await startTestSubnet(manifest, TEST_HOST)
  try {
    const runners = await Promise.all([0, 1, 2].map(() => loadNodeRunner(manifest, DEFAULT_MODELS_DIR, log)))
    for (const r of runners) subnet.onStop(() => r.dispose())
    const honest = [await subnet.addMiner({ secret: '//PageAskA', runner: runners[0]!, agent: 'honest-a' }), await subnet.addMiner({ secret: '//PageAskB', runner: runners[1]!, agent: 'honest-b' })]
    const forger = await subnet.addMiner({ secret: '//PageAskForger', runner: runners[2]!, agent: 'forger' })
    const mallory = await hotkeyFromSecret('//Mallory')
    const door = new DirectDoor({ netuid: manifest.netuid })
    await forger.mesh.libp2p.unhandle(requestProtocol(manifest.netuid, ASK_REQUEST))
    await forger.mesh.handle(ASK_REQUEST, (bytes, from) => {
      const ask = door.open(bytes, 'ask', from)
      return seal(forger.mesh, mallory, manifest.netuid, 'answer', { askId: ask.payload.id, asker: ask.hotkey, text: 'trust me', tokens: 2 })
    })
    await until('every miner registered', () => [...honest, forger].every((m) => m.node.stats().uid !== null), 90_000)
    // Miners serve validators first (an ask waits at most 5 s for queries in progress): with the
    // validator stopped, the page's ask meets idle miners even on a loaded machine.
    await subnet.validator.validator.stop()

    const { page, errors, close } = await openScriptPage('ask-page', PAGE, 'askNetwork')
    subnet.onStop(close)
    const got = (await page.evaluate(
      ([relay, m]) => (window as unknown as { askNetwork(r: string[], m: unknown, p: string): Promise<unknown> }).askNetwork(relay, m, 'The capital of France is'),
      [subnet.bootstrap, manifest] as const,
    )) as { asker: string; answers: { uid: number; hotkey: string; text: string; tokens: number; signed: number[] }[]; dropped: { uid: number; code: string }[] }
    console.log(`page answers: ${got.answers.map((a) => `uid ${a.uid} ${JSON.stringify(a.text)}`).join(' | ')}; dropped ${JSON.stringify(got.dropped)}`)
    assert.deepEqual(new Set(got.answers.map((a) => a.hotkey)), new Set(honest.map((m) => m.hotkey)))
    for (const a of got.answers) {
      const env = verifyAnswer(new Uint8Array(a.signed), manifest.netuid)
      assert.equal(env.hotkey, a.hotkey)
      assert.equal(env.payload.asker, got.asker)
      assert.equal(a.uid, [...honest].find((m) => m.hotkey === a.hotkey)!.node.stats().uid)
    }
    assert.deepEqual(got.dropped, [{ uid: forger.node.stats().uid, code: 'wrong_signer' }])
    assert.deepEqual(errors, [])
  } finally {
    await subnet.stop()
  }
})

// A validator in the page: a tab that imports the validator's secret runs the validator role (its
// hotkey holds the permit), queries two miner tabs and a Node cheater, verifies their answers in
// its model worker and sets weights. The honest tabs earn incentive; the cheater earns nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { createGossipChainClient } from '../../src/chain/gossip-client.ts'
import { hotkeyFromSecret } from '../../src/identity/identity.ts'
import { parseManifest } from '../../src/subnet/manifest.ts'
import { createMinerNode } from '../../src/node/miner.ts'
import { createMesh } from '../../src/p2p/index.ts'
import { createTask, type SubnetTask, type TextGenerationAnswer, type TextGenerationInput } from '../../src/subnet/tasks/index.ts'
import { DEFAULT_MANIFEST, DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'
import { loadNodeRunner, resolveBootstrap } from '../../src/cli/stack.ts'
import { launchChromium } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'

const VALIDATOR_SECRET = '//WebtensorValidator1'

async function openTab(browser: Browser, url: string, log: string[], name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage() // a context each: its own IndexedDB, its own hotkey
  page.on('console', (m) => log.push(`[${name} ${m.type()}] ${m.text()}`))
  page.on('pageerror', (e) => log.push(`[${name} pageerror] ${e.message}`))
  await page.goto(url)
  await page.getByTestId('start').waitFor()
  return page
}

test('a tab with a validator permit validates: honest tabs earn, a Node cheater does not', { timeout: 480_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-validate-'))
  // The default subnet without its Node validator: the page will be the validator.
  const json = JSON.parse(readFileSync(DEFAULT_MANIFEST, 'utf8')) as { validators: { devSecret?: string }[]; chain: { blockTimeMs: number } }
  for (const v of json.validators) delete v.devSecret
  json.chain.blockTimeMs = 600
  const manifestFile = join(dir, 'subnet.json')
  writeFileSync(manifestFile, JSON.stringify(json))
  const manifest = parseManifest(json)
  const cli = runCli(['start', '--host', '127.0.0.1', '--port', '0', '--relay-port', '0', '--state', join(dir, 'state'), '--manifest', manifestFile])
  const browser = await launchChromium()
  const log: string[] = []
  const stoppers: (() => Promise<unknown>)[] = []
  try {
    const [, url] = await cli.waitFor(/open (http:\/\/\S+) to mine/, 240_000)

    // The validator tab: import the permitted hotkey, then start.
    const validatorTab = await openTab(browser, url!, log, 'validator')
    await validatorTab.getByTestId('import').click()
    await validatorTab.getByTestId('import-secret').fill(VALIDATOR_SECRET)
    await validatorTab.getByTestId('import-check').click()
    await validatorTab.getByTestId('import-confirm').click()
    await validatorTab.getByTestId('start').click()
    await validatorTab.waitForFunction(() => /^Validating/.test(document.querySelector('[data-testid="phase"]')?.textContent ?? ''), null, { timeout: 180_000 })
    assert.match(await validatorTab.getByTestId('role').innerText(), /^Role: validator — this hotkey is uid 1 with a validator permit/)

    const miners = [await openTab(browser, url!, log, 'miner-a'), await openTab(browser, url!, log, 'miner-b')]
    for (const m of miners) await m.getByTestId('start').click()
    for (const m of miners) {
      await m.waitForFunction(() => document.querySelector('[data-testid="phase"]')?.textContent === 'Mining', null, { timeout: 180_000 })
      assert.match(await m.getByTestId('role').innerText(), /^Role: miner — this hotkey holds no validator permit/)
    }

    // A Node miner with the model that makes up its log-probabilities.
    const runner = await loadNodeRunner(manifest, DEFAULT_MODELS_DIR, () => {})
    stoppers.push(() => runner.dispose())
    const honest = createTask(manifest.task) as SubnetTask<TextGenerationInput, TextGenerationAnswer>
    const cheatKey = await hotkeyFromSecret('//BrowserTestCheater')
    const mesh = await createMesh({ netuid: manifest.netuid, signer: cheatKey, bootstrap: await resolveBootstrap(url!), listen: ['/ip4/127.0.0.1/tcp/0/ws'], allowPrivateAddresses: true })
    await mesh.start()
    stoppers.push(() => mesh.stop())
    const chain = createGossipChainClient({ mesh, netuid: manifest.netuid, ownerHotkey: manifest.owner.hotkey })
    const cheater = createMinerNode({
      manifest, mesh, chain, runner, signer: cheatKey, agent: 'cheater',
      task: { ...(honest as SubnetTask), answer: async (r, i) => ({ ...(await honest.answer(r, i as TextGenerationInput)), logprobs: Array(8).fill(-3) }) },
    })
    await cheater.start()
    stoppers.push(() => cheater.stop())

    const uidOf = async (p: Page) => Number(await p.getByTestId('uid').innerText())
    await Promise.all(miners.map((m) => m.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-testid="uid"]')?.textContent ?? ''), null, { timeout: 120_000 })))
    const minerUids = await Promise.all(miners.map(uidOf))
    const health = async () => (await (await fetch(new URL('/api/health', url))).json()) as { chain: { epoch: number } | null }
    let first = -1
    for (let i = 0; i < 300 && first < 0; i++) {
      const h = await health()
      if (h.chain !== null && cheater.stats().uid !== null) first = h.chain.epoch
      else await new Promise((r) => setTimeout(r, 500))
    }
    // Two epochs in which everyone was registered: the honest tabs earn, the cheater does not.
    for (const m of miners) {
      await m.waitForFunction(
        (f) => Number((document.querySelector('[data-testid="epoch"]')?.textContent ?? '').split(' · ')[0]) >= f + 2 && Number(document.querySelector('[data-testid="incentive"]')?.textContent) > 0,
        first,
        { timeout: 240_000, polling: 500 },
      )
    }
    const scores = JSON.parse((await validatorTab.getByTestId('verified-answers').getAttribute('data-scores')) ?? '{}') as Record<string, number>
    const cheaterUid = cheater.stats().uid!
    const verified = await validatorTab.getByTestId('verified-answers').innerText()
    console.log(`validator tab: ${verified}; scores ${JSON.stringify(scores)}; miner tabs uids ${minerUids}, cheater uid ${cheaterUid} incentive ${cheater.stats().incentive}`)
    for (const u of minerUids) assert.ok((scores[u] ?? 0) > (scores[cheaterUid] ?? 0), `tab uid ${u} scored ${scores[u]} > cheater ${scores[cheaterUid]}`)
    for (const m of miners) assert.ok(Number(await m.getByTestId('incentive').innerText()) > 0)
    assert.ok((cheater.stats().incentive ?? 0) < 0.01, `cheater incentive ${cheater.stats().incentive}`)
    assert.ok(cheater.stats().queriesAnswered > 0, 'the cheater was queried (and answered)')
  } catch (err) {
    console.error(`--- webtensor start ---\n${cli.output().slice(-6000)}\n--- pages ---\n${log.slice(-80).join('\n')}`)
    throw err
  } finally {
    for (const s of stoppers.reverse()) await s().catch(() => {})
    await browser.close()
    await cli.stop()
  }
})

/**
 * A page mines on a subnet that runs on subtensor (`webtensor start --chain`, raonet under
 * chopsticks): it says how a coldkey registers its hotkey, starts serving once the chain shows the
 * uid, the start's validator queries it and puts it in its weights on chain, and the page shows
 * the incentive the chain stored.
 */
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { SubtensorClient } from '../../src/chain/subtensor/index.ts'
import type { Hotkey } from '../../src/identity/index.ts'
import { launchChromium } from '../support/browser.ts'
import { runCli, type RunningCli } from '../support/cli.ts'
import { raonetAvailable, setupValidatorSubnet, startChopsticks, type Chopsticks } from '../support/chopsticks.ts'

const skip = raonetAvailable() ? false : 'needs ../shared/fixtures/subtensor/raonet.json next to the repo'
const TEMPO = 10

let chain: Chopsticks
let netuid: number
let validator: Hotkey
let client: SubtensorClient
let blocks: ReturnType<typeof setInterval> | undefined
let start: RunningCli | undefined
const dir = mkdtempSync(join(tmpdir(), 'wt-chain-page-'))

before(async () => {
  if (skip !== false) return
  chain = await startChopsticks()
  ;({ netuid, validator, client } = await setupValidatorSubnet(chain, 'ChainPage', [], TEMPO))
}, { timeout: 180_000 })

after(async () => {
  clearInterval(blocks)
  await start?.stop().catch(() => {})
  await client?.close()
  await chain?.close()
})

test('a page mines on a chain-backed subnet: told how to register, serves once it has a uid, weighted on chain, shows the stored incentive', { skip, timeout: 600_000 }, async () => {
  const secret = join(dir, 'validator')
  writeFileSync(secret, '//ChainPageValidator\n')
  chmodSync(secret, 0o600)
  start = runCli(['start', '--chain', chain.url, '--netuid', String(netuid), '--host', '127.0.0.1', '--port', '0', '--relay-port', '0', '--state', join(dir, 'state'), '--secret-file', secret])
  const [, url] = await start.waitFor(/open (http:\/\/\S+) to mine/, 240_000)
  await start.waitFor(/validator \S+ running on subnet/, 120_000)

  const browser = await launchChromium()
  const log: string[] = []
  try {
    const page = await browser.newPage()
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`))
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`))
    await page.goto(url!)
    await page.getByTestId('start').click()
    await page.waitForFunction(() => document.querySelector('[data-testid="hotkey"]')?.textContent?.startsWith('5'), null, { timeout: 60_000 })
    const hotkey = await page.getByTestId('hotkey').innerText()
    // The page runs no proof of work here: it says which coldkey command gives it a uid.
    await page.waitForFunction((h) => (document.querySelector('[data-testid="role"]')?.textContent ?? '').includes(`--hotkey-ss58 ${h}`), hotkey, { timeout: 240_000 })
    const role = await page.getByTestId('role').innerText()
    assert.match(role, new RegExp(`runs on subtensor \\(${chain.url.replace(/[.]/g, '\\.')}\\).*npx webtensor wallet register --chain ${chain.url.replace(/[.]/g, '\\.')} --netuid ${netuid} --hotkey-ss58 ${hotkey}`))
    assert.equal(await page.getByTestId('uid').innerText(), '—')

    // A coldkey registers the page's hotkey (what the command shown does).
    const reg = await client.burnedRegister({ hotkey, coldkey: validator })
    // Then blocks keep coming, as on a live chain (not during the registration: chopsticks would
    // build the transaction's block beside ours and its inclusion may go unseen).
    blocks = setInterval(() => void chain.newBlocks(1).catch(() => {}), 500)
    await page.waitForFunction((u) => document.querySelector('[data-testid="uid"]')?.textContent === String(u), reg.uid, { timeout: 120_000 })
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="answered"]')?.textContent) > 0, null, { timeout: 180_000 })

    // The start's validator scored the page and put it in its weights on chain.
    const vUid = client.uidOf(validator.address)!
    const deadline = Date.now() + 180_000
    let row: [number, number][] = []
    while (Date.now() < deadline) {
      row = ((await chain.api.query.subtensorModule!.weights!(netuid, vUid)) as unknown as { toJSON(): [number, number][] }).toJSON()
      if (row.some(([u, w]) => u === reg.uid && w > 0)) break
      await new Promise((r) => setTimeout(r, 1000))
    }
    assert.ok(row.some(([u, w]) => u === reg.uid && w > 0), `the page's uid ${reg.uid} in the validator's weights: ${JSON.stringify(row)}`)

    // The page shows what the chain stored for its uid at the epoch it names.
    await page.waitForFunction(() => /block \d+, read through this server/.test(document.querySelector('[data-testid="verified"]')?.textContent ?? ''), null, { timeout: 120_000 })
    clearInterval(blocks)
    await page.waitForTimeout(3000) // let the page catch up with the last block built
    const verified = await page.getByTestId('verified').innerText()
    const block = Number(/block (\d+), read through this server/.exec(verified)![1])
    assert.match(verified, /ℹ rewards as subtensor stored them at block \d+/)
    const at = await chain.api.rpc.chain.getBlockHash(block)
    const incentive = ((await (await chain.api.at(at)).query.subtensorModule!.incentive!(netuid)) as unknown as { toJSON(): number[] }).toJSON()
    assert.equal(await page.getByTestId('incentive').innerText(), ((incentive[reg.uid] ?? 0) / 65535).toFixed(4), `incentive stored at block ${block}: ${JSON.stringify(incentive)}`)
    console.log(`# page uid ${reg.uid}: answered ${await page.getByTestId('answered').innerText()}, weight ${JSON.stringify(row)}, ${verified}`)
    assert.deepEqual(log.filter((l) => l.startsWith('[pageerror]')), [])
  } catch (err) {
    console.log(log.slice(-40).join('\n'))
    console.log(start.output().slice(-3000))
    throw err
  } finally {
    await browser.close()
  }
})

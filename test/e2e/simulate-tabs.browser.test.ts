import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { reportJsonFromHtml } from '../../src/simulate/index.ts'
import { launchChromium } from '../support/browser.ts'
import { runCliToEnd } from '../support/cli.ts'

interface TabFigures {
  online: number[]
  incentive: Record<string, number[]>
  peers: { peer: number; behaviour: string; hotkey: string; incentive: number; dividends: number }[]
}

/**
 * `webtensor simulate honest-tabs`: the real CLI runs a subnet with a relay, the owner, a Node
 * validator, Node miners and two tabs of the web app in headless Chromium (its own session code:
 * the model in a worker, registration by proof of work, WebRTC through the relay). The tabs are
 * online in the report, earn incentive, and report.html shows the same figures as report.json.
 */
test('simulate honest-tabs: tabs of the web app mine next to Node peers, earn incentive, and the report says so', { timeout: 600_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simulate-tabs-'))
  const out = join(dir, 'report')
  const run = await runCliToEnd(['simulate', 'honest-tabs', '--exact', '--out', out], { timeoutMs: 540_000 })
  console.log(run.stdout)
  assert.equal(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /^honest-tabs \(exact mode\): 1 run\(s\) × 4 epochs/m)
  assert.match(run.stdout, /all expectations hold/)
  assert.match(run.stderr, /opening 2 tabs of http:\/\/\S+ in headless Chromium/)
  assert.match(run.stderr, /6 peers registered/)
  assert.match(run.stderr, /epoch 4\/4, 7 uids, 7 peers online \(2\/2 tabs\)/, 'the progress line counts the tabs')

  const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'))
  const html = await readFile(join(out, 'report.html'), 'utf8')
  assert.deepEqual(reportJsonFromHtml(html), json, 'report.html embeds report.json')
  assert.equal(json.passed, true)
  const tabs = json.runs[0].tabs as TabFigures
  assert.deepEqual(tabs.online, [2, 2, 2, 2], 'both tabs online every epoch')
  assert.deepEqual(json.runs[0].series.peersOnline, [7, 7, 7, 7], 'the owner, the validator, three Node miners and two tabs')
  assert.equal(tabs.peers.length, 2)
  for (const t of tabs.peers) {
    assert.equal(t.behaviour, 'honest-miner')
    assert.match(t.hotkey, /^5[1-9A-HJ-NP-Za-km-z]{47}$/)
    assert.ok(t.incentive > 0, `tab ${t.peer} earned incentive: ${t.incentive}`)
  }
  const tabShare = tabs.incentive['honest-miner']!
  assert.ok(tabShare.at(-1)! > 0, `the tabs held part of the last epoch's incentive: ${tabShare}`)
  const each = json.expectations.find((e: { kind?: string; index: number }) => e.index === 1)
  assert.equal(each.status, 'pass', 'every honest miner, tabs included, earned above the floor')

  // The page draws its tables from the JSON it embeds: its tab rows show report.json's numbers.
  const browser = await launchChromium({ webgpu: false })
  try {
    const page = await browser.newPage()
    await page.goto(pathToFileURL(join(out, 'report.html')).href)
    const rows = await page.locator('#tabs-0 tr').evaluateAll((trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')))
    assert.deepEqual(
      rows,
      tabs.peers.map((t) => [String(t.peer), t.behaviour, t.hotkey, t.incentive.toFixed(4), t.dividends.toFixed(4)]),
    )
  } finally {
    await browser.close()
  }
})

test('simulate with tabs and no Chromium: exit 2 naming the missing browser', { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simulate-tabs-'))
  const run = await runCliToEnd(['simulate', 'honest-tabs', '--out', join(dir, 'r')], { env: { ...process.env, CHROMIUM_PATH: join(dir, 'no-chromium') }, timeoutMs: 240_000 })
  assert.equal(run.code, 2, run.stdout + run.stderr)
  assert.match(run.stderr, new RegExp(`tab peers \\("in": "tab"\\) need Chromium, not found at ${join(dir, 'no-chromium').replace(/[/.]/g, '\\$&')}: apt-get install -y chromium`))
})

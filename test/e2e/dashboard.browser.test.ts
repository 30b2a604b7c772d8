import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'

const ARTIFACTS = fileURLToPath(new URL('../../test-results/', import.meta.url))
const DEFAULT_MANIFEST = fileURLToPath(new URL('../../subnets/default.json', import.meta.url))
/** A subnet name that would run script if it ever became markup: it reaches the page from the network (the log's genesis manifest). */
const HOSTILE_NAME = '<img src=x onerror="globalThis.__pwned=1">"><script>globalThis.__pwned=2</script>'

type Hook = { __webtensorDashboard?: { data(key: string): (number | null)[][] | null }; __pwned?: number }

/**
 * The dashboard on a real stack (`webtensor start`: relay, web server, owner, Node validator; and
 * a Node miner): after 3 epochs each plot holds 3 points per uid, as uPlot holds them; the
 * history comes back from IndexedDB after a reload; the subnet's hostile name renders as text.
 */
test('dashboard: 3 epochs plotted per uid from the verified log, kept across a reload, hostile names as text', { timeout: 420_000 }, async () => {
  const state = mkdtempSync(join(tmpdir(), 'wt-dash-'))
  const manifest = join(state, 'hostile.json')
  writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(DEFAULT_MANIFEST, 'utf8')), name: HOSTILE_NAME }, null, 2))
  const cli = runCli(['start', '--host', '127.0.0.1', '--port', '0', '--relay-port', '0', '--state', join(state, 'owner'), '--manifest', manifest])
  let miner: ReturnType<typeof runCli> | null = null
  const browser = await launchChromium({ webgpu: false })
  const log: string[] = []
  try {
    const [, url] = await cli.waitFor(/open (http:\/\/\S+) to mine/, 240_000)
    const [, dashboardUrl] = await cli.waitFor(/subnet dashboard: (http:\/\/\S+)/, 10_000)
    assert.equal(dashboardUrl, new URL('/dashboard.html', url).href, 'start prints where the dashboard is')
    const [, deviceUrl] = await cli.waitFor(/device check \(WebGPU, shader-f16, threads\): (http:\/\/\S+)/, 10_000)
    assert.equal(deviceUrl, new URL('/device.html', url).href, 'start prints where the device check is')
    // The device check page (no WebGPU in this browser): a row per model format, each on wasm with the reason.
    const device = await browser.newPage()
    device.on('pageerror', (e) => log.push(`[device pageerror] ${e.message}`))
    await device.goto(deviceUrl!)
    await device.waitForFunction(() => document.querySelectorAll('[data-testid="device-choices"] tbody tr').length > 0, null, { timeout: 30_000 })
    const status = await device.locator('[data-testid="device-webgpu"]').textContent()
    assert.match(status ?? '', /^No WebGPU: /, `the page says why there is no WebGPU: ${status}`)
    const choices = await device.locator('[data-testid="device-choices"] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')))
    assert.deepEqual(choices.map((r) => r[0]), ['fp32', 'fp16', 'q8', 'q4', 'q4f16'], 'one row per model format')
    for (const [dtype, dev, why] of choices) assert.ok(dev === 'wasm' && why!.length > 0, `${dtype} runs on wasm, with a reason: ${dev} (${why})`)
    assert.match(await device.locator('[data-testid="device-threads"]').textContent() ?? '', /\d+ cores reported/)
    await device.close()

    miner = runCli(['miner', '--relay', url!, '--host', '127.0.0.1', '--state', join(state, 'miner'), '--manifest', manifest])
    await miner.waitFor(/registered as uid \d+/, 180_000)

    const page = await browser.newPage({ viewport: { width: 1200, height: 2400 } })
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`))
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`))
    const response = await page.goto(dashboardUrl!)
    assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self'/, 'the dashboard is served with the pages\' CSP')

    // Epochs come from the log, re-derived in the page. Wait for 3 with both miner and validators in them.
    const plotted = (key: string): Promise<(number | null)[][] | null> => page.evaluate((k) => (globalThis as unknown as Hook).__webtensorDashboard?.data(k) ?? null, key)
    await page.waitForFunction(() => Number(document.querySelector('#dashboard')?.getAttribute('data-epochs') ?? 0) >= 1, null, { timeout: 120_000 })
    const firstEpoch = (await plotted('incentive'))![0]!.at(-1)!
    await page.waitForFunction((e0) => {
      const d = (globalThis as unknown as Hook).__webtensorDashboard?.data('incentive')
      return d !== null && d !== undefined && d[0]!.filter((e) => (e as number) > (e0 as number)).length >= 3
    }, firstEpoch, { timeout: 180_000 })
    const epochsSeen = (await plotted('incentive'))![0]!.length
    for (const key of ['incentive', 'dividends', 'emission']) {
      const data = (await plotted(key))!
      const [xs, ...series] = data
      assert.equal(xs!.length, epochsSeen, `${key}: one x per epoch`)
      assert.ok(series.length >= 2, `${key}: a series per uid (${series.length})`)
      // The last 3 epochs have a point for every uid registered by then.
      const last3 = xs!.length - 3
      const full = series.filter((s) => s.slice(last3).every((v) => v !== null))
      assert.ok(full.length >= 2, `${key}: ${full.length} uids have 3 points in the last 3 epochs`)
      for (const s of full) assert.equal(s.slice(last3).filter((v) => typeof v === 'number' && Number.isFinite(v)).length, 3)
      const figure = page.locator(`figure[data-plot="${key}"]`)
      assert.equal(Number(await figure.getAttribute('data-points')), epochsSeen)
    }
    const incentive = (await plotted('incentive'))!
    assert.ok(incentive.slice(1).some((s) => (s.at(-1) ?? 0)! > 0), 'someone earns incentive')

    // The metagraph: SDK field names, one row per uid, sortable by keyboard with aria-sort.
    const headers = await page.locator('table.metagraph thead th').allInnerTexts()
    assert.deepEqual(headers.map((h) => h.replace(/[ ▲▼]+$/, '')), ['uid', 'hotkey', 'stake (τ)', 'consensus', 'incentive', 'dividends', 'emission (τ)', 'validator_trust', 'validator_permit', 'last_update', 'active'])
    const rows = await page.locator('[data-testid="dash-metagraph"] tr').count()
    assert.equal(rows, incentive.length - 1)
    await page.locator('th button[data-column="incentive"]').focus()
    await page.keyboard.press('Enter')
    assert.equal(await page.locator('th:has(button[data-column="incentive"])').getAttribute('aria-sort'), 'descending')
    const sorted = await page.locator('[data-testid="dash-metagraph"] tr td:nth-child(5)').allInnerTexts()
    assert.deepEqual(sorted, [...sorted].sort((a, b) => Number(b) - Number(a)), 'sorted by incentive, largest first')
    // Bonds: the heatmap's text alternative (built when opened, here by keyboard) has the validators' rows.
    await page.locator('summary', { hasText: 'Bonds as a table' }).focus()
    await page.keyboard.press('Enter')
    await page.locator('.bonds-table tbody tr').first().waitFor({ timeout: 10_000 })
    assert.match(await page.locator('.bonds-table tbody tr').first().innerText(), /^uid \d+(\s+[01]\.\d{4})+$/, 'a validator row with its bond shares')

    // The hostile subnet name is text, and nothing ran.
    await page.waitForFunction(() => (document.querySelector('[data-testid="dash-subnet"]')?.textContent ?? '').includes('onerror'), null, { timeout: 30_000 })
    assert.ok((await page.getByTestId('dash-subnet').innerText()).includes(HOSTILE_NAME))
    assert.equal(await page.locator('#dashboard img, #dashboard script').count(), 0)
    assert.equal(await page.evaluate(() => (globalThis as unknown as Hook).__pwned), undefined)
    assert.match(await page.getByTestId('dash-status').innerText(), /^Verified through epoch \d+ \(log entry \d+, block \d+\)/)

    // The peer graph: only after "Watch the mesh", on a throwaway key; the relay link is drawn and listed with its transport.
    assert.match(await page.getByTestId('dash-peer-list').innerText(), /not on the mesh/)
    await page.getByTestId('watch-mesh').click()
    await page.waitForFunction(() => /this page → \S+: websockets/.test(document.querySelector('[data-testid="dash-peer-list"]')?.textContent ?? ''), null, { timeout: 60_000 })
    assert.ok((await page.locator('[data-testid="dash-peers"] line[data-transport="websockets"]').count()) >= 1)
    assert.ok((await page.locator('[data-testid="dash-peers"] circle').count()) >= 2)

    mkdirSync(ARTIFACTS, { recursive: true })
    // Ask the network from the dashboard: the Node miner's signed answer, shown as text.
    await page.getByTestId('ask-prompt').fill('The capital of France is')
    await page.getByTestId('ask-button').click()
    await page.locator('[data-testid="ask-answers"] li.ask-answer').first().waitFor({ timeout: 90_000 })
    assert.match(await page.getByTestId('ask-status').innerText(), /^1 signed answer, each checked/)
    assert.match(await page.locator('li.ask-answer').first().innerText(), /^uid \d+ · 5\w{7}… · incentive \d\.\d{3} · \d+ ms · signed/)
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true })

    // Reload with the network's log unreachable: the plots come back from IndexedDB alone.
    await page.route('**/chain/log.jsonl', (route) => route.abort())
    await page.reload()
    await page.waitForFunction(() => document.querySelector('#dashboard')?.getAttribute('data-restored') !== null, null, { timeout: 30_000 })
    const restored = Number(await page.locator('#dashboard').getAttribute('data-restored'))
    assert.ok(restored >= epochsSeen, `${restored} epochs restored from IndexedDB`)
    const again = (await plotted('incentive'))!
    assert.deepEqual(again.slice(0, incentive.length).map((s) => s.slice(0, epochsSeen)), incentive, 'the same history, from this browser alone')
    await page.getByTestId('dash-error').waitFor({ timeout: 30_000 })
    assert.match(await page.getByTestId('dash-error').innerText(), /could not be read .*Retrying/)
  } catch (err) {
    console.log(log.slice(-40).join('\n'))
    console.log(cli.output().slice(-3000))
    console.log(miner?.output().slice(-2000))
    throw err
  } finally {
    await browser.close()
    await miner?.stop()
    await cli.stop()
  }
})

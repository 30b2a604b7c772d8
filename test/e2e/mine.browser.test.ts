import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'

const ARTIFACTS = fileURLToPath(new URL('../../test-results/', import.meta.url))

/**
 * The newcomer's path, end to end: `webtensor start` (relay, web server, owner, Node validator),
 * then a headless Chromium page clicks "Start mining", registers by proof of work (in a worker,
 * with its progress shown), earns incentive while the validator earns dividends, verifies the
 * epochs from the owner's signed log, and finds its verified rewards again after a reload.
 */
test('visit the URL, click Start mining, register by proof of work, earn incentive over two epochs, verify it from the signed log', { timeout: 420_000 }, async () => {
  const state = mkdtempSync(join(tmpdir(), 'wt-e2e-'))
  // Loopback, unlike the other browser tests: a page is a secure context (WebGPU, cross-origin
  // isolation) only on https or localhost. WebRTC still has the namespace's veth for candidates.
  const cli = runCli(['start', '--host', '127.0.0.1', '--port', '0', '--relay-port', '0', '--state', state])
  const browser = await launchChromium()
  const log: string[] = []
  try {
    const [, url] = await cli.waitFor(/open (http:\/\/\S+) to mine/, 240_000)
    const page = await browser.newPage()
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`))
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`))
    let sockets = 0
    let modelRequests = 0
    page.on('websocket', () => sockets++)
    page.on('request', (r) => {
      if (r.url().includes('/models/')) modelRequests++
    })

    // Every CSP violation the page reports (the server sends a Content-Security-Policy with it).
    await page.addInitScript(() => {
      const seen: string[] = []
      ;(globalThis as unknown as { __cspViolations: string[] }).__cspViolations = seen
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`))
      // Every text the registration line shows (the proof of work may take well under a second).
      const lines: string[] = []
      ;(globalThis as unknown as { __registrationLines: string[] }).__registrationLines = lines
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="registration"]')?.textContent ?? ''
        if (text !== '' && lines.at(-1) !== text) lines.push(text)
      }).observe(document, { subtree: true, childList: true, characterData: true })
    })
    const response = await page.goto(url!)
    assert.match(response?.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/, 'the page is served with its CSP')
    await page.getByTestId('start').waitFor()
    assert.match(await page.getByTestId('phase').innerText(), /Nothing runs until/)
    await page.waitForTimeout(1000)
    assert.equal(sockets, 0, 'no connection before the click')
    assert.equal(modelRequests, 0, 'no model download before the click')
    assert.equal(await page.getByTestId('hotkey').innerText(), '—')

    await page.getByTestId('start').click()
    await page.waitForFunction(() => document.querySelector('[data-testid="hotkey"]')?.textContent?.startsWith('5'), null, { timeout: 30_000 })
    const hotkey = await page.getByTestId('hotkey').innerText()
    assert.match(hotkey, /^5[1-9A-HJ-NP-Za-km-z]{47}$/, 'an SS58 sr25519 address')

    // The model loads with progress, on WebGPU only for a real adapter: SwiftShader's is a fallback.
    await page.waitForFunction(() => document.querySelector('[data-testid="device"]')?.textContent !== '—', null, { timeout: 120_000 })
    const device = await page.getByTestId('device').innerText()
    assert.match(device, /^WASM — .*fallback/i, `headless Chromium has only a fallback WebGPU adapter, so WASM: ${device}`)
    // A first visit mines with 1 thread at once while 2 are timed in the background (runner.browser.test.ts
    // checks that order); the line then shows the choice.
    assert.match(device, /; (1 WASM thread \(1 thread while 2 is timed in the background\)|[12] WASM threads? \(measured: )/, `the thread count is shown with its reason: ${device}`)
    await page.waitForFunction(() => /; [12] WASM threads? \(measured: /.test(document.querySelector('[data-testid="device"]')?.textContent ?? ''), null, { timeout: 60_000 })
    const chosen = await page.getByTestId('device').innerText()
    assert.match(chosen, /; [12] WASM threads? \(measured: /, `the thread count was timed on first use and is shown with its reason: ${chosen}`)
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP make the page cross-origin isolated')
    assert.ok(modelRequests > 0, 'the model came from the server')

    await page.waitForFunction(() => Number(document.querySelector('[data-testid="peers"]')?.textContent) > 0, null, { timeout: 60_000 })

    // Registration by proof of work, in the PoW worker, with its progress in a live region.
    await page.waitForFunction(() => /^Registered as uid \d+$/.test(document.querySelector('[data-testid="registration"]')?.textContent ?? ''), null, { timeout: 120_000 })
    const lines = await page.evaluate(() => (globalThis as unknown as { __registrationLines: string[] }).__registrationLines)
    assert.ok(lines.some((l) => /^Registering: proof of work at difficulty \d+ — \S+ hashes/.test(l)), `the proof of work's progress was shown: ${JSON.stringify(lines)}`)
    assert.equal(await page.getByTestId('registration').getAttribute('aria-live'), 'polite')
    assert.equal(await page.getByTestId('pow-progress').isHidden(), true, 'the progress bar goes once registered')
    const firstEpoch = Number((await (await fetch(new URL('/api/health', url))).json()).chain.epoch)

    // Two full epochs with this miner registered and weighted: incentive > 0, validator dividends > 0.
    await page.waitForFunction(
      (first) => {
        const [epoch] = (document.querySelector('[data-testid="epoch"]')?.textContent ?? '').split(' · ')
        const incentive = Number(document.querySelector('[data-testid="incentive"]')?.textContent)
        return Number(epoch) >= first + 2 && incentive > 0
      },
      firstEpoch,
      { timeout: 240_000, polling: 500 },
    )
    const answered = Number(await page.getByTestId('answered').innerText())
    assert.ok(answered > 0, 'the page answered queries')
    const incentive = Number(await page.getByTestId('incentive').innerText())
    assert.ok(incentive > 0, `incentive ${incentive} > 0`)
    assert.ok(Number(await page.getByTestId('score').innerText()) > 0, 'the validator scored the page')

    const config = (await (await fetch(new URL('/api/config', url))).json()) as { manifest: { validators: { hotkey: string }[] } }
    const validatorHotkey = config.manifest.validators[0]!.hotkey
    const validatorDividends = Number(await page.locator(`tr[data-hotkey="${validatorHotkey}"]`).getAttribute('data-dividends'))
    assert.ok(validatorDividends > 0, `validator dividends ${validatorDividends} > 0`)
    const mine = page.locator(`tr[data-hotkey="${hotkey}"]`)
    assert.ok(Number(await mine.getAttribute('data-incentive')) > 0)

    // The page re-derived the epoch from the owner's signed log in its worker: the owner's digest.
    await page.waitForFunction(() => /✓ re-derived from the signed log/.test(document.querySelector('[data-testid="verified"]')?.textContent ?? ''), null, { timeout: 60_000 })
    const verdict = await page.getByTestId('verified').innerText()
    assert.match(verdict, /^Epoch \d+ ✓ re-derived from the signed log: \d+ entries \(owner signature and hash chain\), \d+ signed weight messages?, \d+ registrations? with (its|their) proof of work, Yuma run here: result [0-9a-f]{8}… = the owner's signed digest; /)
    console.log(`verdict: ${verdict}`)
    console.log(`page time to verify the latest epoch: ${log.filter((l) => l.includes('webtensor:verify-ms')).map((l) => l.split(' ').at(-1)).join(', ')} ms`)

    // Its verified rewards are in the history.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="rewards"] li').length > 0, null, { timeout: 60_000 })
    const rewarded = await page.locator('[data-testid="rewards"] li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.epoch))

    // The lower half: the subnet dashboard, fed by the page's own verification of the log.
    const half = page.getByTestId('miner-dashboard')
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="miner-dashboard"]')?.getAttribute('data-epochs') ?? 0) >= 2, null, { timeout: 60_000 })
    const plottedEpochs = Number(await half.getAttribute('data-epochs'))
    assert.equal(Number(await half.locator('figure[data-plot="incentive"]').getAttribute('data-points')), plottedEpochs)
    assert.ok(Number(await half.locator('figure[data-plot="rewards"]').getAttribute('data-points')) >= 1, 'my rewards over epochs are plotted')
    assert.equal(await half.locator('figure[data-plot="rewards"]').isVisible(), true)
    assert.match(await half.locator(`tr[data-neuron-hotkey="${hotkey}"]`).innerText(), /\(you\)/, 'my row says so in words')
    await page.waitForFunction(() => /this page → \S+: (websockets|webrtc|tcp|circuit-relay)/.test(document.querySelector('[data-testid="dash-peer-list"]')?.textContent ?? ''), null, { timeout: 30_000 })

    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'mining.png'), fullPage: true })

    // The reward history survives a reload: shown from IndexedDB before anything runs.
    await page.reload()
    await page.waitForFunction(
      (epochs) => {
        const shown = [...document.querySelectorAll<HTMLElement>('[data-testid="rewards"] li')].map((li) => li.dataset.epoch)
        return epochs.every((e) => shown.includes(e))
      },
      rewarded,
      { timeout: 30_000 },
    )
    // And the dashboard half's history, from IndexedDB before anything runs.
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="miner-dashboard"]')?.getAttribute('data-epochs') ?? 0) >= n, plottedEpochs, { timeout: 30_000 })
    assert.match(await page.getByTestId('rewards').innerText(), /Epoch \d+ \(block \d+, uid \d+\): incentive \d\.\d{4}, dividends \d\.\d{4} ✓ verified/)
    assert.match(await page.getByTestId('phase').innerText(), /Nothing runs until/)

    // The hotkey survives a reload.
    await page.getByTestId('start').click()
    await page.waitForFunction(() => document.querySelector('[data-testid="hotkey"]')?.textContent?.startsWith('5'), null, { timeout: 30_000 })
    assert.equal(await page.getByTestId('hotkey').innerText(), hotkey)

    // The whole path (model worker, wasm, WebSockets, WebRTC, the Yuma worker) ran under the CSP.
    const violations = await page.evaluate(() => (globalThis as unknown as { __cspViolations: string[] }).__cspViolations)
    assert.deepEqual(violations, [], 'no CSP violation reported by the page')
    assert.deepEqual(log.filter((l) => /Content Security Policy|Refused to/i.test(l)), [], 'no CSP complaint on the console')
  } catch (err) {
    console.error(`--- webtensor start ---\n${cli.output().slice(-8000)}\n--- page console ---\n${log.slice(-80).join('\n')}`)
    throw err
  } finally {
    await browser.close()
    await cli.stop()
  }
})

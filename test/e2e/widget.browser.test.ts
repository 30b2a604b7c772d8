import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdirSync, mkdtempSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { launchChromium } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'
import { httpRequest } from '../support/http.ts'

const ARTIFACTS = fileURLToPath(new URL('../../test-results/', import.meta.url))

/** A host page of another origin (`localhost`, another port) that embeds the widget with one tag; no COOP/COEP. */
function hostPage(server: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog that embeds a miner</title>
<script>
  window.__events = []
  for (const type of ['state', 'reward', 'error']) document.addEventListener(type, (e) => {
    if (e.target && e.target.localName === 'webtensor-miner') window.__events.push({ type, detail: e.detail })
  })
</script>
<script type="module" src="${server}/widget.js"></script>
</head><body><h1>My blog</h1><p>Some text.</p>
<webtensor-miner server="${server}" netuid="1" throttle="0.5"></webtensor-miner>
</body></html>`
}

/** The Battery Status API of a laptop at 10 %, discharging; `window.__battery.plugIn()` starts charging. */
const BATTERY = `(() => {
  const battery = new EventTarget()
  battery.charging = false
  battery.level = 0.1
  window.__battery = { plugIn() { battery.charging = true; battery.dispatchEvent(new Event('chargingchange')) } }
  Object.defineProperty(Navigator.prototype, 'getBattery', { configurable: true, value() { return Promise.resolve(battery) } })
})()`

interface WidgetEvent {
  type: 'state' | 'reward' | 'error'
  detail: { phase?: string; reason?: string | null; uid?: number; incentive?: number; epoch?: number; message?: string; code?: string }
}
interface Status {
  phase: string
  pauseReason: string | null
  queriesAnswered: number
  queriesRefused: Record<string, number>
  uid: number | null
  device: string | null
}

const events = (page: Page): Promise<WidgetEvent[]> => page.evaluate(() => (window as unknown as { __events: WidgetEvent[] }).__events)
const status = (page: Page): Promise<Status> => page.evaluate(() => (document.querySelector('webtensor-miner') as unknown as { status: Status }).status)
const waitStatus = (page: Page, fn: string, arg: unknown, timeout: number): Promise<unknown> =>
  page.waitForFunction(`(${fn})(document.querySelector('webtensor-miner').status, ${JSON.stringify(arg)})`, null, { timeout, polling: 250 })
/** Emulates the tab being hidden or shown again, as the browser reports it to the page. */
// (A string: tsx would wrap a function's inner arrows in a helper the page does not have.)
const setHidden = (page: Page, hidden: boolean): Promise<void> =>
  page.evaluate(`(() => {
    const h = ${hidden}
    Object.defineProperty(document, 'hidden', { configurable: true, get() { return h } })
    Object.defineProperty(document, 'visibilityState', { configurable: true, get() { return h ? 'hidden' : 'visible' } })
    document.dispatchEvent(new Event('visibilitychange'))
  })()`)

/**
 * A site embeds the miner with one script tag from the webtensor server: nothing loads before the
 * visitor's click; then it registers, mines and reports its reward; a hidden tab pauses the model
 * and a visible one resumes it; Stop ends the workers and the connections; the choice is remembered.
 */
test('a page of another origin embeds <webtensor-miner>: consent first, mines to a reward, pauses when hidden, stops everything', { timeout: 480_000 }, async () => {
  const state = mkdtempSync(join(tmpdir(), 'wt-widget-'))
  const cli = runCli(['start', '--host', '127.0.0.1', '--port', '0', '--relay-port', '0', '--state', state])
  const browser = await launchChromium()
  const hostServer = createServer()
  const log: string[] = []
  try {
    const [, url] = await cli.waitFor(/open (http:\/\/\S+) to mine/, 300_000)
    const server = new URL(url!).origin

    // The headers: the widget script may be loaded and run anywhere; the app's own page may not be framed.
    const script = await httpRequest(server, '/widget.js', { headers: { Origin: 'http://localhost:1' } })
    assert.equal(script.status, 200)
    assert.match(String(script.headers['content-type']), /^text\/javascript/)
    assert.equal(script.headers['access-control-allow-origin'], '*', 'CORS: a module script of another origin')
    assert.equal(script.headers['cross-origin-resource-policy'], 'cross-origin')
    assert.equal(script.headers['x-frame-options'], undefined, 'the script carries no frame restriction')
    assert.equal(script.headers['content-security-policy'], undefined)
    const app = await httpRequest(server, '/')
    assert.match(String(app.headers['content-security-policy']), /frame-ancestors 'none'/, 'the app page cannot be framed (CSP)')
    assert.equal(app.headers['x-frame-options'], 'DENY', 'nor in browsers without frame-ancestors')
    assert.equal(app.headers['access-control-allow-origin'], undefined, 'the app page is not readable cross-origin')

    // The host page: another origin (localhost, another port), not cross-origin isolated.
    hostServer.on('request', (_req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(hostPage(server)))
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve))
    const hostUrl = `http://localhost:${(hostServer.address() as AddressInfo).port}/`
    assert.notEqual(new URL(hostUrl).origin, server)

    const context = await browser.newContext()
    const page = await context.newPage()
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`))
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`))
    const requests: string[] = []
    context.on('request', (r) => requests.push(r.url()))
    const sockets: { closed: boolean }[] = []
    page.on('websocket', (ws) => {
      const s = { closed: false }
      sockets.push(s)
      ws.on('close', () => (s.closed = true))
    })
    const heavy = (): string[] => requests.filter((u) => u.startsWith(server) && /\/(models|ort)\//.test(u))

    await page.goto(hostUrl)
    await page.waitForFunction(() => customElements.get('webtensor-miner') !== undefined)
    const widget = page.locator('webtensor-miner')
    await widget.getByTestId('consent').waitFor()
    assert.equal(await page.evaluate(() => crossOriginIsolated), false, 'the host page is not cross-origin isolated')
    assert.match(await widget.getByTestId('phase').innerText(), /Nothing runs and nothing is downloaded until you press Start/)
    await page.waitForTimeout(1500)
    assert.deepEqual(heavy(), [], 'no model or wasm request before the click')
    assert.equal(sockets.length, 0, 'no connection before the click')
    assert.equal(page.workers().length, 0, 'no worker before the click')
    assert.ok(requests.some((u) => u === `${server}/widget.js`), 'the script came from the server')
    const early = requests.filter((u) => u.startsWith(server))
    assert.deepEqual(early.filter((u) => /\/api\/|\/chain\/|\/widget\/(run|[^/]*worker)-/.test(u)), [], `before the click only the element's script: ${early.join(' ')}`)
    assert.deepEqual((await events(page)).map((e) => e.detail.phase), ['idle'])

    // Consent: the click starts everything, from the server, on single-threaded WASM.
    const clicked = Date.now()
    await widget.getByTestId('consent').click()
    assert.equal(await page.evaluate((s) => localStorage.getItem(`webtensor-miner:consent:${s}`), server), 'granted', 'the choice is remembered for this server')
    await waitStatus(page, '(s) => s.phase === "mining"', null, 180_000)
    assert.ok(heavy().some((u) => u.includes('/models/')), 'the model came from the server')
    assert.ok(heavy().some((u) => u.includes('/ort/')), 'the wasm came from the server')
    const mining = Date.now()
    assert.match((await status(page)).device ?? '', /^wasm$/i, 'WASM on a page without cross-origin isolation')

    // Registered by proof of work, queried and weighted: a reward with incentive > 0.
    await waitStatus(page, '(s) => s.queriesAnswered > 0', null, 120_000)
    const firstAnswer = Date.now()
    // The model and log-verifier workers (the verifier starts just after the miner; the browser
    // reports a worker a moment after it starts).
    const workersBy = Date.now() + 30_000
    while (page.workers().length < 2 && Date.now() < workersBy) await page.waitForTimeout(250)
    const workerUrls = page.workers().map((w) => w.url())
    assert.ok(workerUrls.length >= 2, `the model and verifier workers run: ${workerUrls.join(' ')}`)
    assert.ok(workerUrls.every((u) => u.startsWith(`blob:${new URL(hostUrl).origin}/`)), `each started from the host origin's shim that imports the server's script: ${workerUrls.join(' ')}`)
    await page.waitForFunction(() => (window as unknown as { __events: WidgetEvent[] }).__events.some((e) => e.type === 'reward' && (e.detail.incentive ?? 0) > 0), null, { timeout: 240_000, polling: 500 })
    const reward = (await events(page)).find((e) => e.type === 'reward' && (e.detail.incentive ?? 0) > 0)!
    assert.equal(reward.detail.uid, (await status(page)).uid)
    assert.ok(Number.isInteger(reward.detail.epoch))
    console.log(`reward event: ${JSON.stringify(reward.detail)}; from the click: mining after ${((mining - clicked) / 1000).toFixed(1)} s, first answer served after ${((firstAnswer - clicked) / 1000).toFixed(1)} s, a reward > 0 after ${((Date.now() - clicked) / 1000).toFixed(1)} s`)
    const phases = (await events(page)).filter((e) => e.type === 'state').map((e) => e.detail.phase)
    assert.deepEqual(phases.slice(0, 5), ['idle', 'starting', 'loading-model', 'joining', 'mining'])
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'widget.png'), fullPage: true })

    // Hidden tab: paused; the validator's queries keep coming and the model serves none of them.
    await setHidden(page, true)
    await waitStatus(page, '(s) => s.phase === "paused"', null, 10_000)
    assert.match(await widget.getByTestId('phase').innerText(), /Paused: the tab is hidden/)
    const pausedEvent = (await events(page)).filter((e) => e.type === 'state').at(-1)!
    assert.deepEqual(pausedEvent.detail, { phase: 'paused', reason: 'the tab is hidden' })
    await waitStatus(page, '(s) => (s.queriesRefused.paused ?? 0) >= 1', null, 60_000)
    const pausedAt = await status(page)
    await waitStatus(page, '(s, n) => (s.queriesRefused.paused ?? 0) >= n + 2', pausedAt.queriesRefused.paused, 60_000)
    const stillPaused = await status(page)
    assert.equal(stillPaused.queriesAnswered, pausedAt.queriesAnswered, `no query answered while hidden (${stillPaused.queriesRefused.paused} refused as paused)`)

    // Visible again: it resumes by itself.
    await setHidden(page, false)
    await waitStatus(page, '(s) => s.phase === "mining"', null, 10_000)
    await waitStatus(page, '(s, n) => s.queriesAnswered > n', stillPaused.queriesAnswered, 60_000)

    // Stop: every worker gone, every connection closed, the choice remembered as stopped.
    const workersBefore = page.workers().length
    await widget.getByTestId('stop').click()
    await waitStatus(page, '(s) => s.phase === "stopped"', null, 10_000)
    const deadline = Date.now() + 30_000
    while ((page.workers().length > 0 || sockets.some((s) => !s.closed)) && Date.now() < deadline) await page.waitForTimeout(250)
    assert.equal(page.workers().length, 0, `the ${workersBefore} workers are terminated`)
    assert.ok(sockets.length > 0 && sockets.every((s) => s.closed), 'every WebSocket is closed (the mesh is stopped)')
    const answeredAtStop = (await status(page)).queriesAnswered
    await page.waitForTimeout(5000)
    assert.equal((await status(page)).queriesAnswered, answeredAtStop, 'no answer after Stop')
    assert.equal(await widget.getByTestId('consent').isVisible(), true, 'Start is offered again')
    assert.equal(await page.evaluate((s) => localStorage.getItem(`webtensor-miner:consent:${s}`), server), 'stopped')
    assert.deepEqual((await events(page)).filter((e) => e.type === 'error'), [], 'no error event')

    // A reload after Stop waits for a click again: nothing is fetched or started. From here on the
    // page sees a battery at 10 %, discharging (the Battery Status API, as a laptop reports it).
    await page.addInitScript(BATTERY)
    const before = heavy().length
    const socketsBefore = sockets.length
    await page.reload()
    await widget.getByTestId('consent').waitFor()
    await page.waitForTimeout(1500)
    assert.equal(heavy().length, before, 'no model or wasm request after a reload')
    assert.equal(sockets.length, socketsBefore, 'no connection after a reload')
    assert.equal(page.workers().length, 0)
    assert.equal((await status(page)).phase, 'idle')

    // Stop while it is still starting: what the start had begun is undone as it comes.
    await widget.getByTestId('consent').click()
    // (Joining: the model worker is up and the mesh is being joined; the model is in the cache by now.)
    await page.waitForFunction('["joining", "mining"].includes(document.querySelector("webtensor-miner").status.phase)', null, { timeout: 60_000, polling: 20 })
    const stoppedEarlyIn = (await status(page)).phase
    await widget.getByTestId('stop').click()
    await waitStatus(page, '(s) => s.phase === "stopped"', null, 10_000)
    const allGone = async (): Promise<boolean> => page.workers().length === 0 && sockets.every((s) => s.closed)
    const gone = Date.now() + 60_000
    while (!(await allGone()) && Date.now() < gone) await page.waitForTimeout(250)
    await page.waitForTimeout(3000)
    assert.ok(await allGone(), `stopped in phase ${stoppedEarlyIn}: no worker (${page.workers().length}) and no open WebSocket left`)
    console.log(`stopped while ${stoppedEarlyIn}: all gone`)

    // A yes is remembered: after a click on Start, a reload starts by itself. On a low battery
    // that is not charging it pauses; plugged in, it mines again.
    await widget.getByTestId('consent').click()
    await waitStatus(page, '(s) => s.phase !== "idle"', null, 10_000)
    await page.reload()
    await page.waitForFunction('customElements.get("webtensor-miner") !== undefined')
    await waitStatus(page, '(s) => s.phase !== "idle"', null, 10_000)
    assert.deepEqual((await events(page)).filter((e) => e.type === 'state').map((e) => e.detail.phase).slice(0, 2), ['idle', 'starting'], 'started by itself after the reload')
    await waitStatus(page, '(s) => s.phase === "paused"', null, 120_000)
    assert.match((await status(page)).pauseReason ?? '', /^the battery is low \(10 %\) and not charging$/)
    await page.evaluate('window.__battery.plugIn()')
    await waitStatus(page, '(s) => s.phase === "mining"', null, 10_000)
    await widget.getByTestId('stop').click()
    await waitStatus(page, '(s) => s.phase === "stopped"', null, 10_000)
  } catch (err) {
    console.error(`--- webtensor start ---\n${cli.output().slice(-6000)}\n--- host page console ---\n${log.slice(-80).join('\n')}`)
    throw err
  } finally {
    await browser.close()
    hostServer.close()
    await cli.stop()
  }
})

/**
 * The newcomer's path, timed: `webtensor start` until it prints the URL, then in headless Debian
 * Chromium: click → hotkey shown, → model loaded, → first query answered, → first incentive.
 * Run: `npm run bench:e2e` (prints lines of figures; the last line is one JSON object).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchChromium } from '../../test/support/browser.ts'
import { runCli } from '../../test/support/cli.ts'

const t0 = performance.now()
const cli = runCli(['start', '--host', '127.0.0.1', '--port', '0', '--relay-port', '0', '--state', mkdtempSync(join(tmpdir(), 'wt-bench-'))])
const browser = await launchChromium({ webgpu: false })
try {
  const [, url] = await cli.waitFor(/open (http:\/\/\S+) to mine/, 300_000)
  const startS = (performance.now() - t0) / 1000
  const page = await browser.newPage()
  await page.goto(url!)
  const click = performance.now()
  await page.getByTestId('start').click()
  const since = (): number => (performance.now() - click) / 1000
  const until = async (fn: string): Promise<number> => {
    await page.waitForFunction(fn, null, { timeout: 300_000, polling: 50 })
    return since()
  }
  const hotkeyS = await until(`document.querySelector('[data-testid="hotkey"]').textContent.startsWith('5')`)
  const modelS = await until(`document.querySelector('[data-testid="device"]').textContent !== '—'`)
  const firstAnswerS = await until(`Number(document.querySelector('[data-testid="answered"]').textContent) > 0`)
  const incentiveS = await until(`Number(document.querySelector('[data-testid="incentive"]').textContent) > 0`)
  const figures = {
    start_s: +startS.toFixed(2),
    click_to_hotkey_s: +hotkeyS.toFixed(2),
    click_to_model_s: +modelS.toFixed(2),
    click_to_first_answer_s: +firstAnswerS.toFixed(2),
    click_to_incentive_s: +incentiveS.toFixed(2),
    device: await page.getByTestId('device').innerText(),
  }
  for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(26)} ${v}`)
  console.log(JSON.stringify(figures))
} finally {
  await browser.close()
  await cli.stop()
}

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { closeSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Route } from 'playwright-core'
import { launchChromium } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'
import { withWeightChanged } from '../support/chain-calls.ts'
import type { LogEntry } from '../../src/chain/log.ts'

/** The log file's entries, each with the byte it starts at. */
function readLog(file: string): { entry: LogEntry; line: string; at: number }[] {
  const out: { entry: LogEntry; line: string; at: number }[] = []
  const lines = readFileSync(file, 'utf8').split('\n')
  // The last piece is '' or a torn line (an append in progress): not an entry yet.
  lines.pop()
  let at = 0
  for (const line of lines) {
    out.push({ entry: JSON.parse(line) as LogEntry, line, at })
    at += Buffer.byteLength(line) + 1
  }
  return out
}

const isWeights = (e: LogEntry): boolean => e.body.type === 'call' && e.body.kind === 'weights'

/**
 * Changes one entry in place, with the same length (the owner appends after it as before): a
 * weight value inside a weights call its author signed, else one hex digit of the owner's signature.
 */
function tamper(file: string, target: { entry: LogEntry; line: string; at: number }): string {
  const { entry, line } = target
  let changed: string
  let what: string
  if (isWeights(entry)) {
    const body = (entry.body as { call: { body: string } }).call.body
    changed = line.replace(`"body":"${body}"`, `"body":"${withWeightChanged(body)}"`)
    what = 'a weight value in the signed call'
  } else {
    changed = line.replace(`"sig":"${entry.sig}"`, `"sig":"${entry.sig.slice(0, -1)}${entry.sig.endsWith('0') ? '1' : '0'}"`)
    what = "the owner's signature"
  }
  assert.notEqual(changed, line)
  assert.equal(Buffer.byteLength(changed), Buffer.byteLength(line))
  const fd = openSync(file, 'r+')
  try {
    writeSync(fd, changed, target.at)
  } finally {
    closeSync(fd)
  }
  return what
}

/**
 * The page does not trust the server for its rewards. `webtensor start`, a page that verifies an
 * epoch from the owner's signed log; then (1) an entry the page has not fetched yet is changed on
 * disk — the page's log requests are held meanwhile, so which bytes it has read is known, not
 * guessed — and the page's next read names that entry; (2) an entry it had already read and
 * verified is changed, and a reload (which reads the log from byte 0) names that one.
 */
test('a log changed on disk is caught by the page, at the entry that was changed', { timeout: 420_000 }, async () => {
  const state = mkdtempSync(join(tmpdir(), 'wt-tamper-'))
  const logFile = join(state, 'chain', 'log.jsonl')
  const cli = runCli(['start', '--host', '127.0.0.1', '--port', '0', '--relay-port', '0', '--state', state])
  const browser = await launchChromium()
  const log: string[] = []
  try {
    const [, url] = await cli.waitFor(/open (http:\/\/\S+) to mine/, 240_000)
    const page = await browser.newPage()
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`))
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`))
    await page.goto(url!)
    await page.getByTestId('start').click()
    await page.waitForFunction(() => /✓ re-derived from the signed log/.test(document.querySelector('[data-testid="verified"]')?.textContent ?? ''), null, { timeout: 240_000, polling: 500 })
    console.log(`verdict before: ${await page.getByTestId('verified').innerText()}`)
    console.log(`page time to verify the latest epoch: ${log.filter((l) => l.includes('webtensor:verify-ms')).map((l) => l.split(' ').at(-1)).join(', ')} ms`)

    // (1) Hold the page's next read of the log: its Range says how far it has read.
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let firstHeld!: (range: string | null) => void
    const held = new Promise<string | null>((resolve) => (firstHeld = resolve))
    const hold = async (route: Route): Promise<void> => {
      firstHeld(route.request().headers()['range'] ?? null)
      await gate
      await route.continue()
    }
    await page.route('**/chain/log.jsonl', hold)
    const range = await held
    const m = /^bytes=(\d+)-$/.exec(range ?? '')
    assert.ok(m !== null, `the page reads only what is new: Range ${range}`)
    const readTo = Number(m[1]) + 1
    // A weights call the owner logs after that point (the validator sets weights every half tempo).
    let unread: ReturnType<typeof readLog>[number] | undefined
    for (let i = 0; i < 240 && unread === undefined; i++) {
      unread = readLog(logFile).find((e) => e.at >= readTo && isWeights(e.entry))
      if (unread === undefined) await new Promise((r) => setTimeout(r, 500))
    }
    assert.ok(unread !== undefined, 'the owner logged a weights call')
    console.log(`unread entry ${unread.entry.seq}: changed ${tamper(logFile, unread)}`)
    release()
    // Let the held request through, then stop routing (waiting for the handler to finish).
    await page.unrouteAll({ behavior: 'wait' })
    const unreadSeq = unread.entry.seq
    const atUnread = `✗ the log does not verify at entry ${unreadSeq} \\(bad_signature\\): `
    await page.waitForFunction((source) => new RegExp(source).test(document.querySelector('[data-testid="verified"]')?.textContent ?? ''), atUnread, { timeout: 120_000, polling: 500 })
    console.log(`verdict after (1): ${await page.getByTestId('verified').innerText()}`)
    assert.equal(await page.getByTestId('verified').getAttribute('class'), 'error')

    // (2) An entry the page read and verified before: a reload reads from byte 0 and stops there.
    const read = readLog(logFile).filter((e) => e.at + Buffer.byteLength(e.line) < readTo && e.entry.seq > 0)
    const earlier = read.find((e) => isWeights(e.entry)) ?? read.at(-1)!
    console.log(`read entry ${earlier.entry.seq}: changed ${tamper(logFile, earlier)}`)
    await page.reload()
    await page.getByTestId('start').click()
    const atRead = `✗ the log does not verify at entry ${earlier.entry.seq} \\(bad_signature\\): `
    await page.waitForFunction((source) => new RegExp(source).test(document.querySelector('[data-testid="verified"]')?.textContent ?? ''), atRead, { timeout: 240_000, polling: 500 })
    console.log(`verdict after (2): ${await page.getByTestId('verified').innerText()}`)
    assert.equal(await page.getByTestId('verified').getAttribute('class'), 'error')
  } catch (err) {
    console.error(`--- webtensor start ---\n${cli.output().slice(-8000)}\n--- page console ---\n${log.slice(-80).join('\n')}`)
    throw err
  } finally {
    await browser.close()
    await cli.stop()
  }
})

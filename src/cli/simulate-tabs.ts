/**
 * The tab peers of an exact simulation (cast groups with `"in": "tab"`): each one a page of the
 * real web app, served by the coordinator's web server, in headless Debian Chromium — its own
 * browser context (storage, hotkey), its "Start mining" clicked, so the page's own session code
 * runs it: the model in a worker, registration by proof of work, the mesh over the relay, and the
 * role the chain gives its hotkey (an honest validator's hotkey has a validator permit at genesis,
 * so that page validates; the others mine). The coordinator starts and stops them on the fault
 * timeline (a stop closes the page and its context; a restart opens a fresh one with the same
 * hotkey). playwright-core and Chromium are needed only here, and are looked for only when a
 * scenario has tabs.
 */
import { existsSync } from 'node:fs'
import type { Browser, BrowserContext } from 'playwright-core'
import { HOTKEY_KEY } from '../identity/index.ts'
import type { PeerReport } from '../simulate/shard.ts'
import type { CastMember } from './simulate-cast.ts'
import type { Log } from './stack.ts'

/** Where Chromium is looked for (Debian's package), unless CHROMIUM_PATH says otherwise. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium'

/** How long a tab may take from opening the page to showing its hotkey and loading the model (ms). */
const TAB_START_TIMEOUT_MS = 120_000

/** Tabs opened side by side (more at once only queue up on a small machine's cores). */
const OPEN_AT_ONCE = 4

/** The tabs of a simulation, running. */
export interface TabRuntime {
  /** The cast peers (indices) that run as tabs. */
  readonly peers: readonly number[]
  /** Which of them have an open page now. */
  alive(): Set<number>
  /** Opens and closes pages until exactly `wanted` (of the tab peers) run; calls are queued. */
  setAlive(wanted: ReadonlySet<number>): Promise<void>
  /** Each tab as the coordinator reads it (tabs check the owner's log themselves: no digests here). */
  snapshot(): { peers: PeerReport[] }
  /** The browser's state in one line (for the progress display). */
  describe(): string
  stop(): Promise<void>
}

/** playwright-core or Chromium is missing: what to install is in the message. */
export class TabsUnavailableError extends Error {
  override name = 'TabsUnavailableError'
}

/**
 * Chromium flags for a closed network: nothing fetched in the background, no QUIC, and real host
 * candidates for WebRTC (mDNS-obfuscated ones failed about 1 dial in 25). The browser tests use them too.
 */
export const CLOSED_NETWORK_CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
]

/** The tabs' flags: a closed network, no throttling, and the app's origin treated as secure. */
function chromiumArgs(origin: string): string[] {
  return [
    ...CLOSED_NETWORK_CHROMIUM_ARGS,
    // Background tabs must not be throttled: every tab is a peer.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    // The page is a secure context (WebCrypto's Ed25519, cross-origin isolation) on this origin, as on https.
    `--unsafely-treat-insecure-origin-as-secure=${origin}`,
  ]
}

/**
 * Launches Chromium (headless, `chromiumPath`) for the tab peers `peers` of `cast`, opening nothing
 * until `setAlive`. Throws TabsUnavailableError naming what to install when playwright-core or
 * the browser is missing.
 * @example const tabs = await startTabs({ cast, peers: [3, 4], url: stack.server.url, log }); await tabs.setAlive(new Set([3, 4]))
 */
export async function startTabs(opts: { cast: readonly CastMember[]; peers: readonly number[]; url: string; log: Log; chromiumPath?: string }): Promise<TabRuntime> {
  const { cast, log } = opts
  const executablePath = opts.chromiumPath ?? process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH
  let playwright: typeof import('playwright-core')
  try {
    playwright = await import('playwright-core')
  } catch (err) {
    throw new TabsUnavailableError(`tab peers ("in": "tab") need the package playwright-core, which is not installed (${(err as Error).message.split('\n')[0]}): npm install playwright-core, or run the tab groups as Node peers ("in": "node")`)
  }
  if (!existsSync(executablePath)) {
    throw new TabsUnavailableError(`tab peers ("in": "tab") need Chromium, not found at ${executablePath}: apt-get install -y chromium (Debian), or set CHROMIUM_PATH to a Chromium or Chrome binary`)
  }
  const origin = new URL(opts.url).origin
  let browser: Browser
  try {
    browser = await playwright.chromium.launch({ executablePath, headless: true, args: chromiumArgs(origin) })
  } catch (err) {
    throw new TabsUnavailableError(`Chromium at ${executablePath} did not start: ${(err as Error).message.split('\n')[0]}`)
  }
  const running = new Map<number, BrowserContext>()
  let starts = 0

  const openTab = async (c: CastMember): Promise<BrowserContext> => {
    const context = await browser.newContext()
    try {
      // The page keeps its hotkey in its secret store; one in localStorage (where older pages kept
      // it) is taken over on first use: this gives the page the cast's hotkey for this peer.
      await context.addInitScript(([key, secret]) => {
        try {
          localStorage.setItem(key!, secret!)
        } catch {
          // storage blocked: the page shows another hotkey, and the check below names it
        }
      }, [HOTKEY_KEY, c.secret])
      const page = await context.newPage()
      page.on('pageerror', (e) => log(`simulate: tab ${c.peer} (${c.behaviour}): page error: ${e.message}`))
      await page.goto(opts.url, { timeout: TAB_START_TIMEOUT_MS })
      await page.getByTestId('start').click({ timeout: TAB_START_TIMEOUT_MS })
      const shown = await page
        .waitForFunction(() => {
          const hotkey = document.querySelector('[data-testid="hotkey"]')?.textContent ?? ''
          const error = document.querySelector('[data-testid="error"]')
          if (error !== null && !(error as HTMLElement).hidden && (error.textContent ?? '') !== '') return `error: ${error.textContent}`
          return hotkey.startsWith('5') ? hotkey : false
        }, null, { timeout: TAB_START_TIMEOUT_MS, polling: 200 })
        .then(async (h) => String(await h.jsonValue()))
      if (shown !== c.hotkey.address) throw new Error(shown.startsWith('error: ') ? `the page failed: ${shown.slice(7)}` : `the page runs hotkey ${shown}, not the cast's ${c.hotkey.address}`)
      starts++
      return context
    } catch (err) {
      await context.close().catch(() => {})
      throw err
    }
  }

  let queue: Promise<void> = Promise.resolve()
  const runtime: TabRuntime = {
    peers: opts.peers,
    alive: () => new Set(running.keys()),
    setAlive(wanted) {
      const step = async (): Promise<void> => {
        // Opened a few side by side: each page's start is mostly waiting (model load, the mesh).
        const open = opts.peers.filter((p) => wanted.has(p) && !running.has(p))
        const close = opts.peers.filter((p) => !wanted.has(p) && running.has(p))
        for (const p of close) {
          const context = running.get(p)!
          running.delete(p)
          await context.close().catch(() => {})
        }
        for (let k = 0; k < open.length; k += OPEN_AT_ONCE) {
          await Promise.all(
            open.slice(k, k + OPEN_AT_ONCE).map(async (p) => {
              const c = cast[p]!
              try {
                running.set(p, await openTab(c))
              } catch (err) {
                log(`simulate: tab ${p} (${c.behaviour}) did not start: ${(err as Error).message}`)
              }
            }),
          )
        }
      }
      queue = queue.then(step)
      return queue
    },
    snapshot: () => ({ peers: opts.peers.map((p) => ({ peer: p, alive: running.has(p), digests: [] })) }),
    describe: () => `${running.size}/${opts.peers.length} tabs open (${starts} opened so far)`,
    async stop() {
      await queue.catch(() => {})
      for (const [p, context] of [...running]) {
        running.delete(p)
        await context.close().catch(() => {})
      }
      await browser.close().catch(() => {})
    },
  }
  return runtime
}

import { chromium, type Browser, type BrowserContext, type LaunchOptions } from 'playwright-core'
import { existsSync } from 'node:fs'
import { CLOSED_NETWORK_CHROMIUM_ARGS } from '../../src/cli/simulate-tabs.ts'

/** Debian's Chromium; Playwright never downloads a browser here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** The address test servers bind to: the veth address inside the test namespace, else loopback. */
export const TEST_HOST = process.env.WEBTENSOR_TEST_HOST ?? '127.0.0.1'

/**
 * Launches headless Debian Chromium with the flags this closed network needs, and WebGPU
 * (SwiftShader) enabled so the WebGPU path can be exercised. Playwright gives each launch a fresh
 * profile.
 */
export async function launchChromium(options: LaunchOptions & { webgpu?: boolean; extraArgs?: string[] } = {}): Promise<Browser> {
  const { webgpu = true, extraArgs = [], ...rest } = options
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: chromiumArgs(webgpu, extraArgs), ...rest })
}

/**
 * The same Chromium with an on-disk profile in `userDataDir` (what a returning visitor has: its
 * storage, OPFS included, lives on disk and survives reloads and restarts). Close the context to quit.
 */
export async function launchChromiumProfile(userDataDir: string, options: { webgpu?: boolean; extraArgs?: string[] } = {}): Promise<BrowserContext> {
  const { webgpu = true, extraArgs = [] } = options
  return chromium.launchPersistentContext(userDataDir, { executablePath: chromiumPath(), headless: true, args: chromiumArgs(webgpu, extraArgs) })
}

function chromiumPath(): string {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  }
  return CHROMIUM_PATH
}

function chromiumArgs(webgpu: boolean, extraArgs: string[]): string[] {
  return [
    ...CLOSED_NETWORK_CHROMIUM_ARGS,
    ...(webgpu ? ['--enable-unsafe-webgpu'] : []),
    ...extraArgs,
  ]
}

/**
 * Chromium flags that make `url`'s origin a secure context, as an https site is in production:
 * pages served from the test network's private address are otherwise insecure, and lose what
 * production pages have (WebCrypto's Ed25519, which libp2p uses to verify gossip signatures).
 */
export function secureOrigin(url: string): string[] {
  return [`--unsafely-treat-insecure-origin-as-secure=${new URL(url).origin}`]
}

import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { DIST_DIR, PACKAGE_ROOT } from './paths.ts'

function newestMtime(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false })
  if (st === undefined) return 0
  if (!st.isDirectory()) return st.mtimeMs
  let newest = st.mtimeMs
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.endsWith('.test.ts')) continue
    newest = Math.max(newest, newestMtime(join(path, name)))
  }
  return newest
}

/**
 * Builds the web app into `dist/` with Vite when it is missing or older than its sources, so
 * `webtensor start` works right after `npm install` and stays fast on later starts; then the
 * embeddable miner widget (`dist/widget.js`, and what it loads after the click under `dist/widget/`,
 * see vite.widget.config.ts), after the app because the app's build empties `dist/`. An installed
 * package (no Vite) uses the app and widget `npm pack` built into it.
 */
export async function ensureAppBuilt(log: (line: string) => void, force = false): Promise<void> {
  const builtAt = (file: string): number => statSync(join(DIST_DIR, file), { throwIfNoEntry: false })?.mtimeMs ?? 0
  const sources = Math.max(
    ...['src', 'public', 'index.html', 'dashboard.html', 'device.html', 'vite.config.ts', 'vite.widget.config.ts', 'package.json'].map((p) => newestMtime(join(PACKAGE_ROOT, p))),
  )
  const built = builtAt('index.html')
  // An installed package (no .git beside it) runs the app `npm pack` built into it, even where a
  // Vite is reachable (a web project's own): npm stamps every packed file with one 1985 mtime, so
  // the sources always look newer, and rebuilding inside node_modules is neither wanted nor safe.
  if (!force && built > 0 && builtAt('widget.js') > 0 && !existsSync(join(PACKAGE_ROOT, '.git'))) {
    log('using the prebuilt web app (installed package)')
    return
  }
  const appStale = force || built <= sources
  if (!appStale && builtAt('widget.js') > sources) return
  let vite: typeof import('vite')
  try {
    vite = await import('vite')
  } catch (err) {
    // An installed package ships the app prebuilt (npm pack builds it) and has no Vite: use it.
    if (built > 0 && !force) {
      log('using the prebuilt web app (Vite is not installed to rebuild it)')
      return
    }
    throw new Error(`the web app is not built and Vite is not installed: run \`npm install\` in a checkout (Vite is a dev dependency) or install a packed release (${(err as Error).message})`)
  }
  const { build } = vite
  if (appStale) {
    clearAppOutput()
    log('building the web app (vite)…')
    const started = Date.now()
    await build({ configFile: join(PACKAGE_ROOT, 'vite.config.ts'), root: PACKAGE_ROOT, logLevel: 'warn' })
    log(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  log('building the miner widget (vite)…')
  const started = Date.now()
  await build({ configFile: join(PACKAGE_ROOT, 'vite.widget.config.ts'), root: PACKAGE_ROOT, logLevel: 'warn' })
  log(`miner widget built in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

/**
 * Empties dist/ of the previous app and widget build, keeping `dist/lib` (the library tsc builds
 * for `import … from 'webtensor'`): Vite's own emptyOutDir would delete it too.
 */
function clearAppOutput(): void {
  if (!existsSync(DIST_DIR)) return
  for (const name of readdirSync(DIST_DIR)) {
    if (name !== 'lib') rmSync(join(DIST_DIR, name), { recursive: true, force: true })
  }
}

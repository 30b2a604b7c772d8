import { readdirSync, statSync } from 'node:fs'
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
 * embeddable miner widget (`dist/widget.js` and its workers under `dist/widget/`, see
 * vite.widget.config.ts), after the app because the app's build empties `dist/`.
 */
export async function ensureAppBuilt(log: (line: string) => void, force = false): Promise<void> {
  const builtAt = (file: string): number => statSync(join(DIST_DIR, file), { throwIfNoEntry: false })?.mtimeMs ?? 0
  const sources = Math.max(
    ...['src', 'public', 'index.html', 'vite.config.ts', 'vite.widget.config.ts', 'package.json'].map((p) => newestMtime(join(PACKAGE_ROOT, p))),
  )
  const appStale = force || builtAt('index.html') <= sources
  if (!appStale && builtAt('widget.js') > sources) return
  const { build } = await import('vite')
  if (appStale) {
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

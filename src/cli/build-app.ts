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
 * `webtensor start` works right after `npm install` and stays fast on later starts. An installed
 * package (no Vite) uses the app `npm pack` built into it.
 */
export async function ensureAppBuilt(log: (line: string) => void, force = false): Promise<void> {
  const built = statSync(join(DIST_DIR, 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0
  const sources = Math.max(
    ...['src', 'public', 'index.html', 'dashboard.html', 'vite.config.ts', 'package.json'].map((p) => newestMtime(join(PACKAGE_ROOT, p))),
  )
  if (!force && built > sources) return
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
  log('building the web app (vite)…')
  const started = Date.now()
  const { build } = vite
  await build({ configFile: join(PACKAGE_ROOT, 'vite.config.ts'), root: PACKAGE_ROOT, logLevel: 'warn' })
  log(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

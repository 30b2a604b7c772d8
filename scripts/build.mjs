#!/usr/bin/env node
// Builds what the package ships prebuilt: the web app (Vite → dist/) and the library (tsc →
// dist/lib/, .js + .d.ts for `import { connect } from 'webtensor'`). `npm pack` runs it (prepack),
// so an installed package starts without Vite. Logs go to stderr (npm pack --json owns stdout).
// Usage: node scripts/build.mjs [app|lib]
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const which = process.argv[2] ?? 'all'

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else out.push(p)
  }
  return out
}

if (which === 'all' || which === 'app') {
  run(process.execPath, ['--import', 'tsx', '-e', "const { ensureAppBuilt } = await import('./src/cli/build-app.ts'); await ensureAppBuilt(console.error, true)"])
}
if (which === 'all' || which === 'lib') {
  const out = join(root, 'dist', 'lib')
  rmSync(out, { recursive: true, force: true })
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.lib.json'])
  // tsc rewrites import specifiers, not the worker URLs bundlers follow: point those at the .js too.
  for (const file of walk(out).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(file, 'utf8')
    const fixed = text.replace(/new URL\('(\.\/[\w.-]+)\.ts', import\.meta\.url\)/g, "new URL('$1.js', import.meta.url)")
    if (fixed !== text) writeFileSync(file, fixed)
  }
  console.error(`library built in ${out}`)
}

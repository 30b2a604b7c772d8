/**
 * Widget size bench (`npm run bench:widget`): builds the miner widget (vite.widget.config.ts) into a
 * scratch folder and prints the size of `widget.js` — what a host page downloads with the script tag,
 * before any click — raw and gzipped, and of each worker script it loads only after the click. The
 * last line is JSON.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'

const root = fileURLToPath(new URL('../../', import.meta.url))
const out = mkdtempSync(join(tmpdir(), 'wt-widget-bench-'))
const kb = (n: number): number => Math.round(n / 102.4) / 10
try {
  const started = performance.now()
  await build({ configFile: join(root, 'vite.widget.config.ts'), root, logLevel: 'silent', build: { outDir: out, emptyOutDir: true } })
  const buildS = Math.round((performance.now() - started) / 100) / 10
  const measure = (file: string): { raw: number; gzip: number } => {
    const bytes = readFileSync(file)
    return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
  }
  const script = measure(join(out, 'widget.js'))
  console.log(`widget.js: ${kb(script.raw)} KiB raw, ${kb(script.gzip)} KiB gzipped (built in ${buildS} s)`)
  const workers: Record<string, { raw: number; gzip: number }> = {}
  for (const name of readdirSync(join(out, 'widget')).sort()) {
    const file = join(out, 'widget', name)
    if (!name.endsWith('.js') || !statSync(file).isFile()) continue
    workers[name] = measure(file)
    console.log(`  after the click: widget/${name}: ${kb(workers[name].raw)} KiB raw, ${kb(workers[name].gzip)} KiB gzipped`)
  }
  console.log(JSON.stringify({ bench: 'widget-size', widget: script, workers, buildS }))
} finally {
  rmSync(out, { recursive: true, force: true })
}

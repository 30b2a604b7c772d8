/**
 * Widget size bench (`npm run bench:widget`): builds the miner widget (vite.widget.config.ts) into a
 * scratch folder and prints, raw and gzipped, what a host page downloads with the script tag before
 * any click (`widget.js` and the chunks it imports statically), and each script it loads only after
 * the click (the session's chunk, the workers). The last line is JSON.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
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
  // The entry and, transitively, the chunks it imports statically (`import … from "./x.js"`).
  const upFront = new Set<string>()
  const visit = (file: string): void => {
    if (upFront.has(file)) return
    upFront.add(file)
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+)["']/g)) visit(resolve(dirname(file), m[1]!))
  }
  visit(join(out, 'widget.js'))
  const sum = (files: string[]): { raw: number; gzip: number } => files.map(measure).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }), { raw: 0, gzip: 0 })
  const script = measure(join(out, 'widget.js'))
  const before = sum([...upFront])
  console.log(`widget.js: ${kb(script.raw)} KiB raw, ${kb(script.gzip)} KiB gzipped (built in ${buildS} s)`)
  console.log(`before the click, with its static imports (${[...upFront].map((f) => relative(out, f)).join(', ')}): ${kb(before.raw)} KiB raw, ${kb(before.gzip)} KiB gzipped`)
  const later: Record<string, { raw: number; gzip: number }> = {}
  for (const name of readdirSync(join(out, 'widget')).sort()) {
    const file = join(out, 'widget', name)
    if (!name.endsWith('.js') || !statSync(file).isFile() || upFront.has(file)) continue
    later[name] = measure(file)
    console.log(`  after the click: widget/${name}: ${kb(later[name].raw)} KiB raw, ${kb(later[name].gzip)} KiB gzipped`)
  }
  console.log(JSON.stringify({ bench: 'widget-size', widget: script, beforeClick: before, afterClick: later, buildS }))
} finally {
  rmSync(out, { recursive: true, force: true })
}

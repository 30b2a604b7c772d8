#!/usr/bin/env node
// Checks that package.json is honest: every package imported by the code (src, bench, scripts,
// test, bin, vite.config.ts) is declared, and every declared package is imported (or listed
// below with the reason it is not). Usage: node scripts/check-deps.mjs (exit 1 on a finding).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Declared packages that no file imports, and why they are declared anyway. */
export const NOT_IMPORTED = {
  typescript: 'the `tsc` typecheck',
  '@types/node': 'types only',
  '@types/ws': 'types only',
  'react-native-webrtc': 'an in-repo stub that `overrides` puts in place of the real package (stubs/react-native-webrtc/README.md)',
}

const SOURCE_DIRS = ['src', 'bench', 'scripts', 'test', 'bin']
const SOURCE_FILES = ['vite.config.ts', 'vite.widget.config.ts']
const EXTENSIONS = /\.(ts|mts|js|mjs)$/

// Static imports and re-exports, side-effect imports, dynamic imports, require/require.resolve and
// import.meta.resolve / createRequire(…).resolve with a literal specifier.
const SPECIFIER_PATTERNS = [
  /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s+['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*(?:\/\*[^*]*\*\/\s*)?['"]([^'"]+)['"]/g,
  /\brequire(?:\.resolve)?\s*\(\s*['"]([^'"]+)['"]/g,
  /\bimport\.meta\.resolve\s*\(\s*['"]([^'"]+)['"]/g,
  /\bcreateRequire\([^)]*\)\.resolve\s*\(\s*['"]([^'"]+)['"]/g,
]

const builtins = new Set(builtinModules)

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or null for relative, absolute and Node built-in ones. */
export function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
  return builtins.has(name) ? null : name
}

/** Every bare package specifier in `source`. */
export function importedPackages(source) {
  const found = new Set()
  for (const pattern of SPECIFIER_PATTERNS) {
    for (const m of source.matchAll(pattern)) {
      const pkg = packageOf(m[1])
      if (pkg !== null) found.add(pkg)
    }
  }
  return found
}

function walk(dir, out) {
  const st = statSync(dir, { throwIfNoEntry: false })
  if (st === undefined) return out
  if (!st.isDirectory()) {
    if (EXTENSIONS.test(dir)) out.push(dir)
    return out
  }
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    walk(join(dir, name), out)
  }
  return out
}

/**
 * Compares the imports under `root` with its package.json.
 * @returns `undeclared`: package → files importing it; `unused`: declared packages nobody imports.
 */
export function checkDependencies(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})])
  const files = [...SOURCE_DIRS, ...SOURCE_FILES].flatMap((p) => walk(join(root, p), []))
  const importers = new Map()
  for (const file of files) {
    for (const name of importedPackages(readFileSync(file, 'utf8'))) {
      if (name === pkg.name) continue
      if (!importers.has(name)) importers.set(name, [])
      importers.get(name).push(relative(root, file))
    }
  }
  const undeclared = Object.fromEntries([...importers].filter(([name]) => !declared.has(name)))
  const unused = [...declared].filter((name) => !importers.has(name) && !(name in NOT_IMPORTED)).sort()
  return { undeclared, unused, files: files.length }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const { undeclared, unused, files } = checkDependencies(root)
  for (const [name, where] of Object.entries(undeclared)) console.error(`imported but not declared: ${name} (${where.join(', ')})`)
  for (const name of unused) console.error(`declared but not imported: ${name}`)
  const ok = Object.keys(undeclared).length === 0 && unused.length === 0
  if (ok) console.log(`dependencies ok: ${files} files checked against package.json`)
  process.exitCode = ok ? 0 : 1
}

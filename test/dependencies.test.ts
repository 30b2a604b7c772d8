// package.json says what the code uses: everything imported is declared, everything declared is
// imported, and react-native stays out of the install.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
// @ts-expect-error a plain .mjs script without type declarations
import { checkDependencies, importedPackages } from '../scripts/check-deps.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(path, new URL('..', import.meta.url)), 'utf8')) as Record<string, unknown>

test('the import scanner finds every form of import and ignores built-ins, relative paths and plain strings', () => {
  // Quotes written as § so that the scanner, reading this file, does not take these for imports.
  const source = `
    import { a } from §@scope/pkg/sub§
    import type { B } from §typed-only§
    export * from §reexported§
    import §side-effect§
    const lazy = await import(/* @vite-ignore */ §lazy-pkg§)
    const dir = createRequire(import.meta.url).resolve(§resolved-pkg§)
    import { readFileSync } from §node:fs§
    import { join } from §path§
    import { x } from §./local.ts§
    const s = Buffer.from(§hello§)
  `.replaceAll('§', "'")
  assert.deepEqual([...(importedPackages(source) as Set<string>)].sort(), ['@scope/pkg', 'lazy-pkg', 'reexported', 'resolved-pkg', 'side-effect', 'typed-only'])
})

test('every imported package is declared in package.json, and every declared one is imported', () => {
  const { undeclared, unused, files } = checkDependencies(root) as { undeclared: Record<string, string[]>; unused: string[]; files: number }
  assert.ok(files > 100, `scanned ${files} files`)
  assert.deepEqual(undeclared, {}, 'imported but not declared')
  assert.deepEqual(unused, [], 'declared but not imported')
})

test('onnxruntime-web is the very version transformers.js loads, so the wasm served is the one it expects', () => {
  const ours = (json('package.json').dependencies as Record<string, string>)['onnxruntime-web']
  const theirs = (json('node_modules/@huggingface/transformers/package.json').dependencies as Record<string, string>)['onnxruntime-web']
  assert.equal(ours, theirs)
})

test('react-native is not installed: react-native-webrtc is the in-repo stub', () => {
  const packages = (json('package-lock.json').packages ?? {}) as Record<string, { resolved?: string; link?: boolean }>
  assert.deepEqual(Object.keys(packages).filter((p) => /(^|\/)node_modules\/(react-native|@react-native\/)/.test(p) && !p.endsWith('node_modules/react-native-webrtc')), [])
  assert.deepEqual(packages['node_modules/react-native-webrtc'], { resolved: 'stubs/react-native-webrtc', link: true })
  assert.equal(existsSync(new URL('../node_modules/react-native', import.meta.url)), false)
})

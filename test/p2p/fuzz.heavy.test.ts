// Opt-in (WEBTENSOR_HEAVY=1, a few minutes): the decoder fuzzers at 10^5 inputs each (the default
// suite runs 10^4), the chain log fuzzer at 10^4 (2000 by default). Each runs in its own process,
// as the default suite runs it, and prints its figures.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'

const root = new URL('../../', import.meta.url).pathname
const FUZZERS = ['src/p2p/envelope.fuzz.test.ts', 'src/p2p/discovery.fuzz.test.ts', 'src/subnet/manifest.fuzz.test.ts', 'src/scoring/yuma/input.fuzz.test.ts', 'src/chain/log.fuzz.test.ts']
/** Fuzzers whose inputs cost more (a whole log replayed with signatures each): fewer inputs. */
const INPUTS: Record<string, number> = { 'src/chain/log.fuzz.test.ts': 10_000 }

for (const file of FUZZERS) {
  const inputs = INPUTS[file] ?? 100_000
  test(`${file} with ${inputs} inputs per decoder: no crash`, { timeout: 900_000 }, () => {
    // Without NODE_TEST_CONTEXT: with it, the child would report to a parent runner instead of printing.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env
    const r = spawnSync('node', ['--import', 'tsx', '--test', '--test-reporter=tap', file], { cwd: root, env: { ...env, FUZZ_INPUTS: String(inputs) }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    const figures = r.stdout.split('\n').filter((l) => l.startsWith('# fuzz '))
    for (const line of figures) console.log(line.slice(2))
    assert.equal(r.status, 0, r.stdout.slice(-4000) + r.stderr.slice(-2000))
    assert.ok(figures.length > 0 && figures.every((l) => l.includes('crashes 0')))
  })
}

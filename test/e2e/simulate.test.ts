import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { reportJsonFromHtml } from '../../src/simulate/index.ts'
import { runCliToEnd } from '../support/cli.ts'

const ROOT = new URL('../..', import.meta.url).pathname
const builtin = async (name: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(join(ROOT, 'subnets', 'scenarios', `${name}.json`), 'utf8'))

test('webtensor simulate runs a built-in, prints its verdicts, and writes both reports', async () => {
  const out = await mkdtemp(join(tmpdir(), 'simulate-'))
  const { code, stdout, stderr } = await runCliToEnd(['simulate', 'cheaters', '--out', out, '--epochs', '20'])
  assert.equal(code, 0, stdout + stderr)
  assert.match(stdout, /^cheaters \(math mode\): 1 run\(s\) × 20 epochs/m)
  assert.match(stdout, /^PASS expectations\[1\] each answer-table's incentive < 0\.01/m)
  assert.match(stdout, /all expectations hold/)
  assert.match(stderr, /simulate cheaters: epoch 20\/20/) // the progress line
  const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'))
  const html = await readFile(join(out, 'report.html'), 'utf8')
  assert.equal(json.epochs, 20)
  assert.deepEqual(reportJsonFromHtml(html), json)
  assert.doesNotMatch(html, /https?:\/\//i)
})

test('a deliberately wrong expectation exits 1 and names it with its measured value', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simulate-'))
  const scenario = await builtin('honest')
  scenario.name = 'wrong'
  scenario.expectations = [
    { kind: 'share', behaviour: 'honest-miner', metric: 'incentive', atLeast: 0.99 },
    { kind: 'each-below', behaviour: 'honest-miner', metric: 'incentive', below: 0.01, label: 'honest miners starve (wrong on purpose)' },
  ]
  const file = join(dir, 'wrong.json')
  await writeFile(file, JSON.stringify(scenario))
  const { code, stdout } = await runCliToEnd(['simulate', file, '--out', join(dir, 'report'), '--epochs', '10'])
  assert.equal(code, 1, stdout)
  assert.match(stdout, /^PASS expectations\[0\]/m)
  assert.match(stdout, /^FAIL expectations\[1\] honest miners starve \(wrong on purpose\): measured 0\.0\d+ \(against 0\.0100\)/m)
  assert.match(stdout, /1 expectation\(s\) failed/)
  const { code: jsonCode, stdout: jsonOut } = await runCliToEnd(['simulate', file, '--out', join(dir, 'report'), '--epochs', '10', '--json'])
  assert.equal(jsonCode, 1)
  const verdict = JSON.parse(jsonOut)
  assert.equal(verdict.passed, false)
  assert.deepEqual(verdict.expectations.map((e: { status: string }) => e.status), ['pass', 'fail'])
})

test('a bad scenario exits 2 naming the field; so do exact mode, a missing file and bad flags', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simulate-'))
  const scenario = await builtin('cheaters')
  ;(scenario.cast as Record<string, unknown>[]).push({ behaviour: 'flaky', count: 1, dropRate: 7 })
  const file = join(dir, 'bad.json')
  await writeFile(file, JSON.stringify(scenario))
  const bad = await runCliToEnd(['simulate', file, '--out', join(dir, 'r')])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /scenario: cast\[9\]\.dropRate must be a number in \[0, 1\], got 7/)
  const exact = await runCliToEnd(['simulate', 'chaos', '--mode', 'exact', '--out', join(dir, 'r')])
  assert.equal(exact.code, 2)
  assert.match(exact.stderr, /exact mode .* is not available in this build yet/)
  const missing = await runCliToEnd(['simulate', join(dir, 'nope.json')])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /no built-in scenario of that name \(honest, cheaters, validators, chaos, sybil\)/)
  const flags = await runCliToEnd(['simulate', 'honest', '--epochs', 'many'])
  assert.equal(flags.code, 2)
  assert.match(flags.stderr, /--epochs must be a positive integer/)
})

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

test('a bad scenario exits 2 naming the field; so do what exact mode cannot run yet, a missing file and bad flags', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simulate-'))
  const scenario = await builtin('cheaters')
  ;(scenario.cast as Record<string, unknown>[]).push({ behaviour: 'flaky', count: 1, dropRate: 7 })
  const file = join(dir, 'bad.json')
  await writeFile(file, JSON.stringify(scenario))
  const bad = await runCliToEnd(['simulate', file, '--out', join(dir, 'r')])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /scenario: cast\[9\]\.dropRate must be a number in \[0, 1\], got 7/)
  // A query flooder's mesh would bridge a partition: exact mode refuses the pair.
  const flooded = await builtin('cheaters-exact')
  flooded.faults = [{ atEpoch: 2, kind: 'partition', groups: 2 }]
  const floodedFile = join(dir, 'flooded.json')
  await writeFile(floodedFile, JSON.stringify(flooded))
  const exact = await runCliToEnd(['simulate', floodedFile, '--out', join(dir, 'r')])
  assert.equal(exact.code, 2)
  assert.match(exact.stderr, /exact mode cannot run a partition with a query flooder \(its mesh is outside the partition and would bridge it\) yet; run this scenario with --mode math/)
  const missing = await runCliToEnd(['simulate', join(dir, 'nope.json')])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /no built-in scenario of that name \(honest, cheaters, validators, chaos, sybil, cheaters-exact, faults-exact, honest-tabs\)/)
  const flags = await runCliToEnd(['simulate', 'honest', '--epochs', 'many'])
  assert.equal(flags.code, 2)
  assert.match(flags.stderr, /--epochs must be a positive integer/)
})

test('exact mode: real Node peers pass cheaters-exact, and math mode on the same file orders the behaviours the same way', { timeout: 600_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simulate-exact-'))
  const exact = await runCliToEnd(['simulate', 'cheaters-exact', '--out', join(dir, 'exact')], { timeoutMs: 540_000 })
  console.log(exact.stdout)
  assert.equal(exact.code, 0, exact.stdout + exact.stderr)
  assert.match(exact.stdout, /^cheaters-exact \(exact mode\): 1 run\(s\) × 6 epochs/m)
  assert.match(exact.stdout, /^PASS expectations\[7\] every surviving peer has the same epoch digests/m)
  assert.match(exact.stderr, /11 peers registered/)
  const math = await runCliToEnd(['simulate', 'cheaters-exact', '--mode', 'math', '--out', join(dir, 'math')])
  assert.equal(math.code, 0, math.stdout + math.stderr)
  assert.match(math.stdout, /^SKIP expectations\[7\]/m) // math mode has no peers to disagree
  type Report = { runs: { summary: Record<string, { peers: number; incentive: number }> }[]; expectations: { status: string; kind?: string }[] }
  const e = JSON.parse(await readFile(join(dir, 'exact', 'report.json'), 'utf8')) as Report
  const m = JSON.parse(await readFile(join(dir, 'math', 'report.json'), 'utf8')) as Report
  const perPeer = (r: Report): Map<string, number> => new Map(Object.entries(r.runs[0]!.summary).filter(([, x]) => x.peers > 0).map(([b, x]) => [b, x.incentive / x.peers]))
  const pe = perPeer(e)
  const pm = perPeer(m)
  // Where exact mode tells two behaviours apart (by more than 0.02 per peer), math mode ranks them alike.
  for (const [a, xa] of pe) {
    for (const [b, xb] of pe) {
      if (xa - xb > 0.02) assert.ok(pm.get(a)! > pm.get(b)!, `exact ranks ${a} (${xa.toFixed(3)}) above ${b} (${xb.toFixed(3)}); math gives ${pm.get(a)!.toFixed(3)} vs ${pm.get(b)!.toFixed(3)}`)
    }
  }
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseManifest } from '../subnet/manifest.ts'
import { buildReport, parseScenario, reportJsonFromHtml, runMath, scriptJson } from './index.ts'

const ROOT = new URL('../..', import.meta.url).pathname
const base = parseManifest(JSON.parse(readFileSync(join(ROOT, 'subnets', 'default.json'), 'utf8')))
const builtin = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, 'subnets', 'scenarios', `${name}.json`), 'utf8'))

test('report.html embeds exactly report.json, and loads nothing from anywhere', () => {
  const { json, html } = buildReport(runMath(parseScenario(builtin('validators'), base)))
  assert.deepEqual(reportJsonFromHtml(html), JSON.parse(JSON.stringify(json)))
  assert.doesNotMatch(html, /https?:\/\//i)
  assert.doesNotMatch(html, /<(link|img|iframe|object|embed)\b/i)
  assert.doesNotMatch(html, /<script[^>]*\bsrc=/i)
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/)
  // The figures the plots read are there for every run.
  assert.equal(json.runs.length, 6)
  for (const run of json.runs) {
    assert.equal(run.series.epoch.length, 60)
    for (const b of ['honest-validator', 'random-weights', 'weight-copier']) assert.equal(run.series.validatorTrust[b]!.length, 60)
    assert.equal(run.series.incentive['honest-miner']!.length, 60)
  }
  assert.equal(json.passed, true)
  assert.ok(json.expectations.every((e) => e.status === 'pass'))
})

test("a scenario's strings cannot break out of the page's data or markup", () => {
  const hostile = '</script><script>alert(1)</script><!-- & "quotes" \u2028'
  const s = parseScenario({ ...builtin('honest'), description: hostile, expectations: [{ kind: 'share', behaviour: 'honest-miner', atLeast: 0.5, label: hostile }] }, base)
  const { json, html } = buildReport(runMath(s))
  assert.equal(html.match(/<\/script>/g)!.length, 2) // the data element's and the script's own
  assert.equal(html.includes('<script>alert'), false)
  assert.deepEqual(reportJsonFromHtml(html), JSON.parse(JSON.stringify(json)))
  assert.equal((reportJsonFromHtml(html) as { description: string }).description, hostile)
  assert.equal(scriptJson({ a: '<' }), '{"a":"\\u003c"}')
})

test('a failed expectation makes the report fail, with the measured value', () => {
  const s = parseScenario({ ...builtin('cheaters'), expectations: [{ kind: 'each-below', behaviour: 'slow', metric: 'incentive', below: 0.001 }] }, base)
  const { json } = buildReport(runMath(s))
  assert.equal(json.passed, false)
  const [e] = json.expectations
  assert.equal(e!.status, 'fail')
  assert.ok(e!.measured! > 0.001)
  assert.equal(e!.threshold, 0.001)
  assert.match(e!.detail, /slow #0/)
})

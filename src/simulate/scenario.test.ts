import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseManifest } from '../subnet/manifest.ts'
import {
  BEHAVIOURS,
  BUILTIN_SCENARIOS,
  EXPECTATION_KEYS,
  FAULT_KEYS,
  GROUP_KEYS,
  HYPERPARAM_NAMES,
  SCENARIO_KEYS,
  ScenarioError,
  parseScenario,
  type Behaviour,
} from './index.ts'

const ROOT = new URL('../..', import.meta.url).pathname
const base = parseManifest(JSON.parse(readFileSync(join(ROOT, 'subnets', 'default.json'), 'utf8')))
const schema = JSON.parse(readFileSync(join(ROOT, 'docs', 'scenario.schema.json'), 'utf8')) as Schema
const builtin = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, 'subnets', 'scenarios', `${name}.json`), 'utf8'))

// ---- A structural JSON Schema check: the keywords docs/scenario.schema.json uses, no more. ----
type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; $defs?: Record<string, Schema> }

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

/** Problems of `v` against `s` (empty = valid). */
function check(v: unknown, s: Schema, path = '$'): string[] {
  if (typeof s.$ref === 'string') {
    const name = s.$ref.replace('#/$defs/', '')
    return check(v, schema.$defs![name]!, path)
  }
  const errs: string[] = []
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]
    const t = typeOf(v)
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: ${t} is not ${types.join('|')}`]
  }
  if (s.const !== undefined && v !== s.const) errs.push(`${path}: not ${String(s.const)}`)
  if (Array.isArray(s.enum) && !s.enum.includes(v)) errs.push(`${path}: ${String(v)} not in enum`)
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) errs.push(`${path}: below minimum`)
    if (typeof s.maximum === 'number' && v > s.maximum) errs.push(`${path}: above maximum`)
  }
  if (typeof v === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) errs.push(`${path}: does not match ${s.pattern}`)
    if (typeof s.minLength === 'number' && v.length < s.minLength) errs.push(`${path}: too short`)
    if (typeof s.maxLength === 'number' && v.length > s.maxLength) errs.push(`${path}: too long`)
  }
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) errs.push(`${path}: too few items`)
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) errs.push(`${path}: too many items`)
    if (s.items !== undefined) v.forEach((x, i) => errs.push(...check(x, s.items as Schema, `${path}[${i}]`)))
  }
  if (typeOf(v) === 'object') {
    const o = v as Record<string, unknown>
    for (const k of (s.required as string[] | undefined) ?? []) if (!(k in o)) errs.push(`${path}: ${k} is required`)
    for (const [k, x] of Object.entries(o)) {
      const p = s.properties?.[k]
      if (p !== undefined) errs.push(...check(x, p, `${path}.${k}`))
      else if (s.additionalProperties === false) errs.push(`${path}.${k}: not allowed`)
    }
    if (s.propertyNames !== undefined) for (const k of Object.keys(o)) errs.push(...check(k, s.propertyNames as Schema, `${path}.${k} (name)`))
  }
  for (const sub of (s.allOf as Schema[] | undefined) ?? []) errs.push(...check(v, sub, path))
  if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some((sub) => check(v, sub, path).length === 0)) errs.push(`${path}: matches no anyOf branch`)
  if (Array.isArray(s.oneOf)) {
    const n = (s.oneOf as Schema[]).filter((sub) => check(v, sub, path).length === 0).length
    if (n !== 1) errs.push(`${path}: matches ${n} oneOf branches`)
  }
  if (s.not !== undefined && check(v, s.not as Schema, path).length === 0) errs.push(`${path}: matches a "not"`)
  if (s.if !== undefined && check(v, s.if as Schema, path).length === 0 && s.then !== undefined) errs.push(...check(v, s.then as Schema, path))
  return errs
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort()

test('every built-in scenario passes the parser and the JSON Schema', () => {
  for (const name of BUILTIN_SCENARIOS) {
    const json = builtin(name)
    assert.deepEqual(check(json, schema), [], name)
    const s = parseScenario(json, base)
    assert.equal(s.name, name)
    assert.equal(s.mode, name.endsWith('-exact') || name === 'honest-tabs' ? 'exact' : 'math')
  }
})

test('the JSON Schema names the same fields as the parser', () => {
  assert.deepEqual(sorted(Object.keys(schema.properties!)), sorted(SCENARIO_KEYS))
  assert.deepEqual(schema.required, ['name', 'epochs', 'cast'])
  const defs = schema.$defs!
  assert.deepEqual(defs.behaviour!.enum, [...BEHAVIOURS])
  assert.deepEqual(sorted(Object.keys(defs.hyperparams!.properties!)), sorted(HYPERPARAM_NAMES))
  const group = defs.castGroup!
  const allGroupKeys = new Set(['behaviour', 'count', 'stake', ...Object.values(GROUP_KEYS).flat()])
  assert.deepEqual(sorted(Object.keys(group.properties!)), sorted(allGroupKeys))
  const perBehaviour = group.allOf as { if: Schema; then: { propertyNames: { enum: string[] } } }[]
  for (const b of BEHAVIOURS) {
    const rule = perBehaviour.find((r) => (r.if.properties!.behaviour as { const: string }).const === b)
    assert.ok(rule !== undefined, b)
    assert.deepEqual(sorted(rule.then.propertyNames.enum), sorted(['behaviour', 'count', 'stake', ...GROUP_KEYS[b as Behaviour]]), b)
  }
  const branches = (def: Schema): Map<string, string[]> =>
    new Map((def.oneOf as Schema[]).map((x) => [(x.properties!.kind as { const: string }).const, Object.keys(x.properties!)]))
  const faults = branches(defs.fault!)
  assert.deepEqual(sorted(faults.keys()), sorted(Object.keys(FAULT_KEYS)))
  for (const [kind, keys] of faults) assert.deepEqual(sorted(keys), sorted(FAULT_KEYS[kind as keyof typeof FAULT_KEYS]), kind)
  const expectations = branches(defs.expectation!)
  assert.deepEqual(sorted(expectations.keys()), sorted(Object.keys(EXPECTATION_KEYS)))
  for (const [kind, keys] of expectations) assert.deepEqual(sorted(keys), sorted(EXPECTATION_KEYS[kind as keyof typeof EXPECTATION_KEYS]), kind)
})

/** Expects the parser to refuse `json` naming `field`, and the schema to refuse it too (unless `schemaToo` is false: a cross-field rule). */
function refused(json: unknown, field: string, schemaToo = true): void {
  assert.throws(() => parseScenario(json, base), (err: unknown) => {
    assert.ok(err instanceof ScenarioError, String(err))
    assert.equal(err.field, field, err.message)
    assert.match(err.message, new RegExp(`^scenario: ${field.replace(/[[\].$]/g, '\\$&')} `))
    return true
  })
  if (schemaToo) assert.notDeepEqual(check(json, schema), [], `the schema accepts a scenario with a bad ${field}`)
}

test('a bad scenario names its first bad field, and the schema refuses it too', () => {
  const good = builtin('cheaters')
  const cast = good.cast as Record<string, unknown>[]
  refused({ ...good, epochs: undefined }, 'epochs')
  refused({ ...good, epochs: 0 }, 'epochs')
  refused({ ...good, name: '../x' }, 'name')
  refused({ ...good, mode: 'fast' }, 'mode')
  refused({ ...good, cats: [] }, 'cats')
  refused({ ...good, cast: [...cast, { behaviour: 'lazy-miner', count: 1 }] }, `cast[${cast.length}].behaviour`)
  refused({ ...good, cast: [...cast, { behaviour: 'flaky', count: 1, dropRate: 1.5 }] }, `cast[${cast.length}].dropRate`)
  refused({ ...good, cast: [...cast, { behaviour: 'honest-miner', count: 1, dropRate: 0.5 }] }, `cast[${cast.length}].dropRate`)
  // Tabs run the real page's session: an honest miner or validator, nothing else.
  refused({ ...good, cast: [...cast, { behaviour: 'honest-miner', count: 1, in: 'window' }] }, `cast[${cast.length}].in`)
  refused({ ...good, cast: [...cast, { behaviour: 'copier', count: 1, in: 'tab' }] }, `cast[${cast.length}].in`)
  refused({ ...good, faults: [{ atEpoch: 1, kind: 'meteor' }] }, 'faults[0].kind')
  refused({ ...good, faults: [{ atEpoch: 1, kind: 'kill', share: 2 }] }, 'faults[0].share')
  refused({ ...good, expectations: [{ kind: 'share', behaviour: 'honest-miner', metric: 'incentive', atLeast: 1.5 }] }, 'expectations[0].atLeast')
  refused({ ...good, variants: [{ name: 'base', hyperparams: {} }] }, 'variants[0].name')
  refused({ ...good, variants: [{ name: 'v', hyperparams: { kappa: 70000 } }] }, 'variants[0].hyperparams.kappa')
  refused({ ...good, variants: [{ name: 'v', hyperparams: { yuma4: true } }] }, 'variants[0].hyperparams.yuma4')
  refused({ ...good, manifest: { hyperparams: { bonds_penalty: -1 } } }, 'manifest.hyperparams.bonds_penalty')
  // Cross-field rules only the parser knows.
  refused({ ...good, faults: [{ atEpoch: 1000, kind: 'restart-relay' }] }, 'faults[0].atEpoch', false)
  refused({ ...good, expectations: [{ kind: 'each-below', behaviour: 'sybil-flood', below: 0.1 }] }, 'expectations[0].behaviour', false)
  refused({ ...good, expectations: [{ kind: 'same-digests', variant: 'nope' }] }, 'expectations[0].variant', false)
  refused({ ...good, manifest: { chain: { tempoo: 3 } } }, 'manifest.chain.tempoo', false)
  refused({ ...good, variants: [{ name: 'v', hyperparams: { alpha_low: 60000, alpha_high: 50000 } }] }, 'variants[0].hyperparams', false)
  refused({ ...good, manifest: { hyperparams: { activity_cutoff: 100, activity_cutoff_factor_milli: 2000 } } }, 'manifest.hyperparams', false)
  // One cutoff given replaces the base manifest's other one.
  const factor = parseScenario({ ...good, manifest: { hyperparams: { activity_cutoff_factor_milli: 2000 } } }, base)
  assert.equal(factor.manifest.hyperparams.activity_cutoff, undefined)
  assert.equal(factor.manifest.hyperparams.activity_cutoff_factor_milli, 2000)
  refused({ ...good, manifest: { chain: { maxAllowedUids: 10 } } }, 'cast', false)
  refused({ ...good, manifest: { validation: { scoreAlpha: 3 } } }, 'manifest', false)
  refused({ ...good, cast: cast.filter((g) => g.behaviour !== 'honest-validator') }, 'cast', false)
})

test('defaults are filled in, and top-level tempo and block time override the manifest', () => {
  const s = parseScenario({ name: 'x', epochs: 3, tempo: 7, blockTimeMs: 250, cast: [{ behaviour: 'honest-validator', count: 1 }, { behaviour: 'slow', count: 1 }, { behaviour: 'weight-copier', count: 1 }] }, base)
  assert.equal(s.mode, 'math')
  assert.equal(s.seed, 1)
  assert.equal(s.manifest.chain.tempo, 7)
  assert.equal(s.manifest.chain.blockTimeMs, 250)
  assert.equal(s.cast[0]!.stake, 1000)
  assert.equal(s.cast[0]!.noise, 0.05)
  assert.equal(s.cast[1]!.stake, 0)
  assert.deepEqual(s.cast[1]!.quality, [0.85, 1])
  assert.equal(s.cast[1]!.latencyMs, (base.validation.latencyTargetMs + base.validation.responseTimeoutMs) / 2)
  assert.equal(s.cast[2]!.target, 'honest-validator')
  assert.deepEqual(s.expectations, [])
  assert.equal(s.cast[0]!.in, undefined, 'where a peer runs is left unset unless given (exact mode: a Node peer)')
  const tabs = parseScenario({ name: 't', epochs: 2, cast: [{ behaviour: 'honest-validator', count: 1, in: 'tab' }, { behaviour: 'honest-miner', count: 2, in: 'tab' }, { behaviour: 'honest-miner', count: 1, in: 'node' }] }, base)
  assert.deepEqual(tabs.cast.map((g) => g.in), ['tab', 'tab', 'node'])
  // An exact-mode scenario parses; the CLI is what says the mode is not available yet.
  assert.equal(parseScenario({ ...builtin('chaos'), mode: 'exact' }, base).mode, 'exact')
})

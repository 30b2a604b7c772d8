import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { runEpochSequence, runEpoch, type EpochInput, type EpochOutput, type EpochSequence } from '../index.ts'

/**
 * Subtensor's own epoch tests, transcribed: each fixture holds the inputs of a test in
 * `pallets/subtensor/src/tests/epoch*` and every number it asserts (plus, where present, numbers
 * from its logged trace). Exact mode must reproduce all of them.
 */
interface Expectation {
  epoch: number
  /** `[i, j, u16]`: the stored bond of validator i on miner j (0 when absent), as get_bonds reads it. */
  bonds?: Array<[number, number, number]>
  /** Output path (e.g. `u16.dividends`, `combined_emission`) → uid → value. */
  fields?: Record<string, Record<string, number | string | boolean>>
  /** Like `fields` but compared within `tolerance` (for asserts made with assert_abs_diff_eq). */
  approx?: Record<string, Record<string, number>>
  tolerance?: number
}
interface Fixture {
  name: string
  source: string
  input?: EpochInput
  sequence?: EpochSequence
  expect: Expectation[]
  trace?: Expectation[]
}

const dir = new URL('./fixtures/', import.meta.url)
const fixtures: Fixture[] = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Fixture)

function pick(out: EpochOutput, path: string): unknown[] {
  let v: unknown = out
  for (const key of path.split('.')) v = (v as Record<string, unknown>)[key]
  return v as unknown[]
}

function check(outs: EpochOutput[], e: Expectation, label: string): void {
  const out = outs[e.epoch]
  assert.ok(out, `${label}: no epoch ${e.epoch}`)
  for (const [i, j, v] of e.bonds ?? []) {
    const got = out.bonds_u16[i].find(([c]) => c === j)?.[1] ?? 0
    assert.equal(got, v, `${label} epoch ${e.epoch}: bonds[${i}][${j}]`)
  }
  for (const [path, byUid] of Object.entries(e.fields ?? {})) {
    const arr = pick(out, path)
    for (const [uid, want] of Object.entries(byUid)) {
      const got = arr[Number(uid)]
      assert.equal(typeof want === 'number' ? Number(got) : got, want, `${label} epoch ${e.epoch}: ${path}[${uid}]`)
    }
  }
  for (const [path, byUid] of Object.entries(e.approx ?? {})) {
    // `u16.*` paths compare as proportions (u16 / 65535), as the tests' u16_proportion_to_fixed does;
    // `bonds_proportion.i` is validator i's stored bond row as proportions.
    const bondRow = path.startsWith('bonds_proportion.') ? out.bonds_u16[Number(path.split('.')[1])] : null
    const arr = bondRow ? [] : pick(out, path)
    for (const [uid, want] of Object.entries(byUid)) {
      const got = bondRow
        ? (bondRow.find(([c]) => c === Number(uid))?.[1] ?? 0) / 65535
        : Number(arr[Number(uid)]) / (path.startsWith('u16.') ? 65535 : 1)
      assert.ok(Math.abs(got - want) <= (e.tolerance ?? 0), `${label} epoch ${e.epoch}: ${path}[${uid}] = ${got}, want ${want} ± ${e.tolerance}`)
    }
  }
}

assert.ok(fixtures.length > 0)
for (const fx of fixtures) {
  test(`exact mode reproduces subtensor ${fx.name}`, () => {
    const outs = fx.sequence ? runEpochSequence(fx.sequence) : [runEpoch(fx.input as EpochInput)]
    for (const e of fx.expect) check(outs, e, fx.name)
    for (const e of fx.trace ?? []) check(outs, e, `${fx.name} (trace)`)
  })
}

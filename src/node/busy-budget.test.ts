import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { BusyBudget, BusyBudgetError, parseThrottle } from './busy-budget.ts'

test('a share of 1 never refuses', () => {
  const b = new BusyBudget(1, 0)
  b.record(0, 1_000_000)
  assert.equal(b.canStart(1_000_000), true)
})

test('over budget: refused until the credit refills at the share rate', () => {
  const b = new BusyBudget(0.5, 0, 1000) // 500 ms of burst
  assert.equal(b.canStart(0), true)
  b.record(0, 2000) // 2000 ms busy: the credit was full (500), so it is 500 - 2000 = -1500
  assert.equal(b.creditAt(2000), -1500)
  assert.equal(b.canStart(2000), false)
  assert.equal(b.canStart(4999), false)
  assert.equal(b.canStart(5000), true, 'after 3000 ms idle at share 0.5 the 1500 ms debt is paid')
})

test('the credit never exceeds one window of the share', () => {
  const b = new BusyBudget(0.25, 0, 4000)
  assert.equal(b.creditAt(1_000_000), 1000)
})

test('a greedy worker that starts whenever allowed stays within share of the time (plus one window and one job)', () => {
  fc.assert(
    fc.property(fc.double({ min: 0.05, max: 1, noNaN: true }), fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 300 }), (share, jobs) => {
      const windowMs = 2000
      const b = new BusyBudget(share, 0, windowMs)
      let now = 0
      let busy = 0
      for (const d of jobs) {
        while (!b.canStart(now)) now += 1
        b.record(now, now + d)
        busy += d
        now += d
      }
      assert.ok(busy <= share * now + share * windowMs + 500 + 1e-6, `busy ${busy} of ${now} ms at share ${share}`)
    }),
  )
})

test('bad shares and windows are typed errors', () => {
  assert.throws(() => new BusyBudget(0, 0), (e: unknown) => e instanceof BusyBudgetError && e.code === 'bad_share')
  assert.throws(() => new BusyBudget(1.5, 0), (e: unknown) => e instanceof BusyBudgetError && e.code === 'bad_share')
  assert.throws(() => new BusyBudget(Number.NaN, 0), BusyBudgetError)
  assert.throws(() => new BusyBudget(0.5, 0, 0), (e: unknown) => e instanceof BusyBudgetError && e.code === 'bad_window')
})

test('parseThrottle: missing or malformed is 1, out of range is clamped', () => {
  assert.equal(parseThrottle(null), 1)
  assert.equal(parseThrottle(''), 1)
  assert.equal(parseThrottle('abc'), 1)
  assert.equal(parseThrottle('0.5'), 0.5)
  assert.equal(parseThrottle('0'), 0.05)
  assert.equal(parseThrottle('7'), 1)
})

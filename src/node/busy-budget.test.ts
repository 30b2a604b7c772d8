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

test('setShare: lowering the share takes effect at once (no banked burst), raising it refills faster; bad shares refused', () => {
  const b = new BusyBudget(1, 0, 10_000)
  // At share 1 a long job is always allowed.
  b.record(0, 8_000)
  assert.ok(b.canStart(8_000))
  b.setShare(0.1, 8_000)
  assert.equal(b.share, 0.1)
  assert.ok(b.creditAt(8_000) <= 0.1 * 10_000, 'credit capped at the new window')
  b.record(8_000, 9_500) // 1.5 s of work at a 10 % share: over budget
  assert.equal(b.canStart(9_500), false)
  // Refills at 0.1 ms per ms: the 500 ms debt takes 5 s.
  assert.equal(b.canStart(14_000), false)
  assert.equal(b.canStart(14_600), true)
  b.record(14_600, 16_600) // 2 s over → debt
  b.setShare(0.5, 16_600)
  assert.equal(b.canStart(16_600), false)
  // At 0.5 the debt of ~2 s (minus what refilled) clears within ~4 s, not the 20 s of 0.1.
  assert.equal(b.canStart(20_700), true)
  assert.throws(() => b.setShare(0, 20_700), (e: unknown) => e instanceof BusyBudgetError && e.code === 'bad_share')
  assert.equal(b.share, 0.5)
})

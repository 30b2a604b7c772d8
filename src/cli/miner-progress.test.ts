import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MinerStats } from '../node/index.ts'
import { minerProgress, shortCount } from './miner-progress.ts'

const base: MinerStats = { uid: null, queriesAnswered: 0, asksAnswered: 0, queriesRefused: {}, lastScore: null, incentive: null, dividends: null, epoch: null, lastAnswerMs: null, registration: null }

test('short counts for progress lines', () => {
  assert.deepEqual([0, 812, 999, 1000, 812_345, 999_499, 1_234_567].map(shortCount), ['0', '812', '999', '1k', '812k', '999k', '1.2M'])
})

test('registration progress: a line per phase, solving lines at most once per interval, then the uid', () => {
  const lines = minerProgress(1000)
  const at = (t: number, registration: MinerStats['registration'], patch: Partial<MinerStats> = {}): string[] => {
    const out = lines({ ...base, registration, ...patch }, t)
    return [...out.say, ...out.log]
  }
  assert.deepEqual(at(0, { phase: 'waiting' }), ['registering: waiting for the chain head'])
  assert.deepEqual(at(10, { phase: 'waiting' }), [])
  assert.deepEqual(at(20, { phase: 'solving', difficulty: '100000', block: 12 }), ['registering: proof of work at difficulty 100000 on block 12'])
  // Progress every chunk; printed at most once a second.
  assert.deepEqual(at(500, { phase: 'solving', difficulty: '100000', block: 12, tries: 200_000, hashesPerSecond: 400_000 }), [])
  assert.deepEqual(at(1020, { phase: 'solving', difficulty: '100000', block: 12, tries: 812_000, hashesPerSecond: 405_000 }), [
    'registering: proof of work at difficulty 100000, 812k hashes (405k/s)',
  ])
  assert.deepEqual(at(1500, { phase: 'solving', difficulty: '100000', block: 14, tries: 1_000_000, hashesPerSecond: 405_000 }), [])
  assert.deepEqual(at(1600, { phase: 'submitted', difficulty: '100000', block: 14 }), ['registering: proof of work for block 14 submitted; waiting for the chain to include it'])
  assert.deepEqual(at(1700, { phase: 'registered' }, { uid: 3 }), ['registered as uid 3', 'miner: uid 3 answered 0 score - incentive -'])
  // Once registered, hashing progress is not news; the miner's counters are, once per change.
  assert.deepEqual(at(1800, { phase: 'registered' }, { uid: 3 }), [])
  assert.deepEqual(at(1900, { phase: 'registered' }, { uid: 3, queriesAnswered: 1, lastScore: 0.5 }), ['miner: uid 3 answered 1 score 0.500 incentive -'])
  assert.deepEqual(at(1950, { phase: 'registered' }, { uid: 3, queriesAnswered: 1, lastScore: 0.5, lastAnswerMs: 40, queriesRefused: { busy: 1 } }), [], 'what the line shows did not change')
  // Pruned: said plainly, and the next registration is followed again.
  assert.deepEqual(at(5000, { phase: 'solving', difficulty: '200000', block: 90 }, { uid: null, queriesAnswered: 1 }), [
    'uid 3 is no longer registered (pruned); registering again',
    'registering: proof of work at difficulty 200000 on block 90',
    'miner: uid - answered 1 score - incentive -',
  ])
})

test('a miner that is registered already says its uid and prints no proof-of-work lines', () => {
  const lines = minerProgress()
  const out = lines({ ...base, uid: 0, registration: { phase: 'registered' } }, 0)
  assert.deepEqual(out.say, ['registered as uid 0'])
  assert.deepEqual(out.log, ['miner: uid 0 answered 0 score - incentive -'])
})

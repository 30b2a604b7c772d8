import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compactCount, registrationLine, rewardLine } from './status-lines.ts'

test('the registration line follows the proof of work, then names the uid', () => {
  assert.equal(registrationLine(null, null), null)
  assert.match(registrationLine({ phase: 'waiting' }, null)!, /^Registering: waiting/)
  assert.equal(registrationLine({ phase: 'solving', difficulty: '100000', tries: 312_400, hashesPerSecond: 180_200 }, null), 'Registering: proof of work at difficulty 100000 — 312k hashes, 180k/s')
  assert.equal(registrationLine({ phase: 'solving', difficulty: '100000' }, null), 'Registering: proof of work at difficulty 100000 — 0 hashes')
  assert.match(registrationLine({ phase: 'submitted', block: 12 }, null)!, /found for block 12, submitted/)
  assert.equal(registrationLine({ phase: 'registered' }, 3), 'Registered as uid 3')
  assert.equal(registrationLine(null, 0), 'Registered as uid 0')
  assert.deepEqual([compactCount(999), compactCount(1_250_000), compactCount(-1)], ['999', '1.3M', '—'])
})

test('a reward line shows the proportions of u16 rewards', () => {
  assert.equal(rewardLine({ hotkey: '5A', genesis: '0x', epoch: 7, block: 77, seq: 40, uid: 3, incentive: 26869, dividends: 0, digest: 'd' }), 'Epoch 7 (block 77, uid 3): incentive 0.4100, dividends 0.0000 ✓ verified')
})

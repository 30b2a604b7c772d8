// The dashboard's epoch history on fake-indexeddb (the browser test
// test/e2e/dashboard.browser.test.ts reads it back in Chromium after a reload).
import 'fake-indexeddb/auto'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { memoryEpochHistory, openEpochHistory, type EpochHistory } from './history-db.ts'
import type { DashboardEpoch } from './shape.ts'

let dbCount = 0
const epoch = (genesis: string, e: number): DashboardEpoch => ({
  genesis, epoch: e, block: e * 11, seq: e * 7, digest: `d${e}`,
  detail: { hotkey: ['5A', '5B'], stake: ['1', '2'], consensus: [e, 0], incentive: [e, 1], dividends: [0, e], validator_trust: [0, 0], emission: ['10', '20'], validator_permit: [false, true], last_update: [e, e], active: [true, true], bonds: [[], [[0, e]]] },
})

async function behaves(open: () => Promise<EpochHistory>, reopen: boolean): Promise<void> {
  let h = await open()
  assert.deepEqual(await h.list(), { genesis: null, epochs: [] })
  await h.add([epoch('0xa', 2), epoch('0xa', 1)])
  await h.add([epoch('0xa', 3)])
  if (reopen) {
    h.close()
    h = await open()
  }
  const kept = await h.list()
  assert.equal(kept.genesis, '0xa')
  assert.deepEqual(kept.epochs.map((e) => e.epoch), [1, 2, 3], 'oldest first, after reopening too')
  assert.deepEqual(kept.epochs[2], epoch('0xa', 3), 'every value of the latest epoch comes back, its bonds too')
  assert.deepEqual(kept.epochs[1]!.detail.bonds, [[], []], 'older epochs keep no bonds')
  assert.deepEqual({ ...kept.epochs[1]!, detail: { ...kept.epochs[1]!.detail, bonds: [] } }, { ...epoch('0xa', 2), detail: { ...epoch('0xa', 2).detail, bonds: [] } }, 'and every other value')
  // An older epoch written later (a log read again) does not take the latest's bonds away.
  await h.add([epoch('0xa', 1)])
  assert.deepEqual((await h.list()).epochs.at(-1), epoch('0xa', 3))
  // Bounded: the cap (3 here) keeps the latest.
  await h.add([epoch('0xa', 4), epoch('0xa', 5)])
  assert.deepEqual((await h.list()).epochs.map((e) => e.epoch), [3, 4, 5])
  // A new chain replaces the old one's history.
  await h.add([epoch('0xb', 1)])
  assert.deepEqual(await h.list(), { genesis: '0xb', epochs: [epoch('0xb', 1)] })
  await assert.rejects(h.add([epoch('0xb', 2), epoch('0xc', 3)]), /one chain/)
  h.close()
}

test('IndexedDB: epochs kept in order across reopening, bounded, one chain at a time', async () => {
  const dbName = `wt-dashboard-test-${++dbCount}`
  await behaves(() => openEpochHistory({ dbName, cap: 3 }), true)
})

test('in memory: the same behaviour', async () => {
  const h = memoryEpochHistory(3)
  await behaves(async () => h, false)
})

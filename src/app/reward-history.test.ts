// The page's reward history on fake-indexeddb (the browser test test/e2e/mine.browser.test.ts
// reads it back in Chromium after a reload).
import 'fake-indexeddb/auto'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openRewardHistory, type RewardRecord } from './reward-history.ts'

let dbCount = 0
const freshDb = (): string => `wt-rewards-test-${++dbCount}`
const record = (hotkey: string, genesis: string, epoch: number): RewardRecord => ({ hotkey, genesis, epoch, block: epoch * 11, seq: epoch * 7, uid: 3, incentive: epoch * 100, dividends: 0, digest: `d${epoch}` })

test('verified epochs are kept per hotkey, read back after reopening, in epoch order', async () => {
  const dbName = freshDb()
  const h = await openRewardHistory({ dbName })
  assert.deepEqual(await h.list('5A'), { genesis: null, records: [] })
  assert.equal(await h.latest(), null)
  await h.add([record('5A', '0xg1', 10), record('5A', '0xg1', 2)])
  await h.add([record('5A', '0xg1', 2)])
  await h.add([record('5B', '0xg1', 4)])
  h.close()
  const again = await openRewardHistory({ dbName })
  const a = await again.list('5A')
  assert.equal(a.genesis, '0xg1')
  assert.deepEqual(a.records.map((r) => r.epoch), [2, 10], 'one record per epoch, oldest first (numeric order)')
  assert.deepEqual(a.records[1], record('5A', '0xg1', 10))
  assert.deepEqual((await again.list('5B')).records.map((r) => r.epoch), [4])
  assert.equal(await again.latest(), '5B')
  await assert.rejects(again.add([record('5A', '0xg1', 1), record('5B', '0xg1', 1)]), /one hotkey and one chain/)
  again.close()
})

test('a new genesis starts a new history; the history keeps the latest epochs up to its cap', async () => {
  const h = await openRewardHistory({ dbName: freshDb(), cap: 5 })
  await h.add([1, 2, 3].map((e) => record('5A', '0xold', e)))
  await h.add([record('5B', '0xold', 1)])
  await h.add([7, 8].map((e) => record('5A', '0xnew', e)))
  assert.deepEqual(await h.list('5A'), { genesis: '0xnew', records: [record('5A', '0xnew', 7), record('5A', '0xnew', 8)] })
  assert.equal((await h.list('5B')).records.length, 1, 'other hotkeys keep theirs')
  for (let e = 9; e < 20; e += 3) await h.add([e, e + 1, e + 2].map((x) => record('5A', '0xnew', x)))
  assert.deepEqual((await h.list('5A')).records.map((r) => r.epoch), [16, 17, 18, 19, 20])
  h.close()
})

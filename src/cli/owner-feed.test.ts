import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { OwnerNode } from '../chain/owner-node.ts'
import type { EpochOutput } from '../scoring/index.ts'
import { OwnerFeed, reportOwner, type OwnerMessage } from './owner-feed.ts'

test('the owner reports only changes', async () => {
  const stats = { block: 0, epoch: 0, registrations: 0, weightsAccepted: 0, weightsRefused: {} }
  const owner = { stats: () => ({ ...stats }) } as unknown as OwnerNode<EpochOutput>
  const sent: OwnerMessage[] = []
  const reporter = reportOwner(owner, (m) => sent.push(m), 10)
  try {
    const feed = new OwnerFeed()
    const tick = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 40))
      for (const m of sent.splice(0)) assert.equal(feed.accept(m), true)
    }
    await tick()
    assert.equal(feed.stats?.block, 0)
    await tick()
    assert.equal(sent.length, 0, 'nothing changed, nothing sent')
    stats.block = 1
    reporter.check()
    assert.equal(sent.length, 1, 'a check sends at once')
    await tick()
    assert.equal(feed.stats?.block, 1)
    feed.ownerGone()
    assert.equal(feed.stats, null)
  } finally {
    reporter.stop()
  }
})

test('the parent drops messages outside the protocol', () => {
  const feed = new OwnerFeed()
  for (const bad of [null, 1, 'x', {}, { kind: 'chain' }, { kind: 'chain', stats: { block: '1' } }, { kind: 'epochs', json: '[]', seq: 1 }, { kind: 'other' }]) {
    assert.equal(feed.accept(bad), false, JSON.stringify(bad))
  }
  assert.equal(feed.stats, null)
})

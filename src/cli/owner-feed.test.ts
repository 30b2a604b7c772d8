import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { OwnerNode } from '../chain/owner-node.ts'
import type { EpochOutput } from '../scoring/index.ts'
import { OwnerFeed, RECENT_EPOCHS, reportOwner, type OwnerMessage } from './owner-feed.ts'

test('the owner reports only changes; the epochs are serialised once per new epoch, the last few only', async () => {
  const stats = { block: 0, epoch: 0, registrations: 0, weightsAccepted: 0, weightsRefused: {} }
  const epochs: { epoch: number; block: number; input: unknown; output: unknown }[] = []
  const owner = { stats: () => ({ ...stats }), get epochs() { return epochs } } as unknown as OwnerNode<EpochOutput>
  const sent: OwnerMessage[] = []
  const reporter = reportOwner(owner, (m) => sent.push(m), 10)
  try {
    const feed = new OwnerFeed()
    const tick = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 40))
      for (const m of sent.splice(0)) assert.notEqual(feed.accept(m), false)
    }
    await tick()
    assert.equal(feed.stats?.block, 0)
    assert.equal(feed.epochsJson, '[]')
    const v0 = feed.epochsVersion
    await tick()
    assert.equal(feed.epochsVersion, v0, 'nothing changed, nothing sent')
    stats.block = 1
    await tick()
    assert.equal(feed.stats?.block, 1)
    assert.equal(feed.epochsVersion, v0)
    for (let e = 1; e <= 6; e++) epochs.push({ epoch: e, block: e * 10, input: { stake: [10n ** 20n] }, output: { e } })
    await tick()
    assert.equal(feed.epochsVersion, v0 + 1)
    const served = JSON.parse(feed.epochsJson) as { epoch: number; input: { stake: string[] } }[]
    assert.deepEqual(served.map((e) => e.epoch), [3, 4, 5, 6].slice(-RECENT_EPOCHS))
    assert.equal(served[0]!.input.stake[0], '100000000000000000000', 'bigints as decimal strings')
    feed.ownerGone()
    assert.equal(feed.stats, null)
    // An epoch reported at once (before the owner gossips it), without waiting for the next check.
    epochs.push({ epoch: 7, block: 70, input: {}, output: {} })
    const seq = reporter.check()
    assert.deepEqual(feed.accept(sent.at(-1)), { kind: 'stored', seq }, 'the parent acknowledges what it stored')
    assert.equal((JSON.parse(feed.epochsJson) as { epoch: number }[]).at(-1)!.epoch, 7)
  } finally {
    reporter.stop()
  }
})

test('the parent drops messages outside the protocol', () => {
  const feed = new OwnerFeed()
  for (const bad of [null, 1, 'x', {}, { kind: 'chain' }, { kind: 'chain', stats: { block: '1' } }, { kind: 'epochs', json: 5, seq: 1 }, { kind: 'epochs', json: '[]' }, { kind: 'other' }]) {
    assert.equal(feed.accept(bad), false, JSON.stringify(bad))
  }
  assert.equal(feed.stats, null)
  assert.equal(feed.epochsJson, '[]')
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { OwnerNode } from '../chain/owner-node.ts'
import type { EpochOutput } from '../scoring/index.ts'
import { OwnerFeed, reportOwner, type OwnerMessage } from './owner-feed.ts'

const GENESIS = `0x${'ab'.repeat(32)}`

test('the owner reports only changes, with the chain id', async () => {
  const stats = { block: 0, epoch: 0, registrations: 0, weightsAccepted: 0, weightsRefused: {}, logHead: 0, difficulty: '100000' }
  const owner = { stats: () => ({ ...stats }), genesis: GENESIS, session: 'a1b2c3d4e5f60718' } as unknown as OwnerNode<EpochOutput>
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
    assert.equal(feed.stats?.logHead, 0)
    assert.equal(feed.stats?.genesis, GENESIS, 'the chain id reaches /api/health')
    assert.equal(feed.stats?.session, 'a1b2c3d4e5f60718')
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
  const good = { block: 3, epoch: 1, registrations: 1, weightsAccepted: 2, weightsRefused: { RateLimit: 1 }, logHead: 7, difficulty: '100000', genesis: GENESIS, session: '0123456789abcdef' }
  const stats = (patch: Record<string, unknown>): unknown => ({ kind: 'chain', stats: { ...good, ...patch } })
  const bad = [
    null, 1, 'x', {}, { kind: 'chain' }, { kind: 'chain', stats: { block: '1' } }, { kind: 'epochs', json: 5, seq: 1 }, { kind: 'epochs', json: '[]' }, { kind: 'other' },
    stats({ logHead: undefined }), stats({ logHead: 1.5 }), stats({ difficulty: 100000 }), stats({ difficulty: '1e5' }),
    stats({ genesis: undefined }), stats({ genesis: GENESIS.toUpperCase() }), stats({ genesis: GENESIS.slice(0, 10) }),
    stats({ session: undefined }), stats({ session: '<script>' }), stats({ weightsRefused: { RateLimit: 'many' } }),
  ]
  for (const m of bad) assert.equal(feed.accept(m), false, JSON.stringify(m))
  assert.equal(feed.stats, null)
  assert.equal(feed.accept(stats({})), true)
  assert.deepEqual(feed.stats, good)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { OwnerNode } from '../chain/owner-node.ts'
import type { EpochOutput } from '../scoring/index.ts'
import { OwnerFeed, RECENT_EPOCHS, reportOwner, type OwnerMessage } from './owner-feed.ts'

const GENESIS = `0x${'ab'.repeat(32)}`

test('the owner reports only changes; the epochs are serialised once per new epoch, the last few only', async () => {
  const stats = { block: 0, epoch: 0, registrations: 0, weightsAccepted: 0, weightsRefused: {}, logHead: 0, difficulty: '100000' }
  const epochs: { epoch: number; block: number; input: unknown; output: unknown }[] = []
  const owner = { stats: () => ({ ...stats }), genesis: GENESIS, session: 'a1b2c3d4e5f60718', get epochs() { return epochs } } as unknown as OwnerNode<EpochOutput>
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
    assert.equal(feed.stats?.logHead, 0)
    assert.equal(feed.stats?.genesis, GENESIS, 'the chain id reaches /api/health')
    assert.equal(feed.stats?.session, 'a1b2c3d4e5f60718')
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
  assert.equal(feed.epochsJson, '[]')
  assert.equal(feed.accept(stats({})), true)
  assert.deepEqual(feed.stats, good)
})

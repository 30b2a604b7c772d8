import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHttpChainClient, HttpChainError, parseChainState } from './http-chain-client.ts'

const GENESIS = `0x${'ab'.repeat(32)}`
const state = (block: number, extra: Record<string, unknown> = {}) => ({
  kind: 'subtensor',
  netuid: 2,
  metagraph: {
    block, tempo: 10, epoch: Math.floor(block / 10), blockHash: `0x${'cd'.repeat(32)}`, difficulty: '1000',
    chain: { genesis: GENESIS, session: 'raonet', head: block },
    neurons: [{ uid: 0, hotkey: '5Owner', stake: '1000000000000', registeredAt: 1, validatorPermit: true, lastUpdate: block }],
  },
  epoch: { epoch: 1, block: 10, incentive: [65535], dividends: [0], digest: 'd1' },
  ...extra,
})

/** A fetch that answers each call with the next body from the list (the last one repeats). */
function scripted(bodies: unknown[]): typeof fetch {
  let i = 0
  return (async () => new Response(JSON.stringify(bodies[Math.min(i++, bodies.length - 1)]), { status: 200 })) as unknown as typeof fetch
}

test('a new block is heard once; the same block again is not; a throwing handler is logged', async () => {
  const lines: string[] = []
  const chain = createHttpChainClient({ url: 'http://x/api/chain/state', pollMs: 60_000, fetch: scripted([state(11), state(11), state(12)]), log: (l) => lines.push(l) })
  const blocks: number[] = []
  chain.onMetagraph((m) => blocks.push(m.block))
  chain.onMetagraph(() => {
    throw new Error('handler bug')
  })
  await chain.refresh() // the constructor's own first read may still be in flight: this joins it
  await chain.refresh()
  await chain.refresh()
  await chain.close()
  assert.deepEqual(blocks.slice(-2), [11, 12])
  assert.equal(new Set(blocks).size, blocks.length, 'no block heard twice')
  assert.equal(chain.uidOf('5Owner'), 0)
  assert.ok(lines.some((l) => l.includes('handler bug')))
})

test('a malformed answer is refused with a reason and keeps the last good state', async () => {
  const lines: string[] = []
  const bad = state(13, { metagraph: { ...state(13).metagraph, neurons: [{ uid: -1 }] } })
  const chain = createHttpChainClient({ url: 'http://x/api/chain/state', pollMs: 60_000, fetch: scripted([state(11), bad]), log: (l) => lines.push(l) })
  await chain.refresh()
  await chain.refresh()
  await chain.close()
  assert.equal(chain.metagraph()?.block, 11)
  assert.ok(lines.some((l) => l === 'chain state refused: metagraph neurons'), lines.join('\n'))
})

test('weights cannot be set through a read-only view', async () => {
  const chain = createHttpChainClient({ url: 'http://x/api/chain/state', pollMs: 60_000, fetch: scripted([state(11)]) })
  await assert.rejects(chain.setWeights([0], [65535]), (err: unknown) => err instanceof HttpChainError && err.code === 'read_only')
  await chain.close()
})

test('parseChainState names what is wrong', () => {
  assert.deepEqual(parseChainState(null), { ok: false, reason: 'not an object' })
  assert.deepEqual(parseChainState({ ...state(1), kind: 'local' }), { ok: false, reason: 'kind is not "subtensor"' })
  assert.deepEqual(parseChainState({ ...state(1), epoch: { ...state(1).epoch, incentive: [70000] } }), { ok: false, reason: 'epoch incentive/dividends/digest' })
  assert.equal(parseChainState(state(1)).ok, true)
})

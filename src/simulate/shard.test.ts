import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_DIGESTS_PER_PEER, ShardError, parseCoordinatorReply, parseShard, parseWorkerReport, scenarioCanonical, shardOfPeer, shardPeers } from './shard.ts'

test('parseShard reads i/k and refuses the rest', () => {
  assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 })
  assert.deepEqual(parseShard('3/4'), { index: 3, count: 4 })
  for (const bad of ['2/2', '1/0', '-1/2', '1', 'a/b', '0/65', ' 0/2', '0/2/3']) assert.throws(() => parseShard(bad), ShardError, bad)
})

test('shards cover the cast once, every k-th peer from the i-th', () => {
  for (const k of [1, 2, 3, 7]) {
    const all = Array.from({ length: k }, (_, i) => shardPeers(11, { index: i, count: k })).flat().sort((a, b) => a - b)
    assert.deepEqual(all, Array.from({ length: 11 }, (_, i) => i))
    for (let i = 0; i < k; i++) for (const p of shardPeers(11, { index: i, count: k })) assert.equal(shardOfPeer(p, k), i)
  }
  assert.deepEqual(shardPeers(6, { index: 1, count: 2 }), [1, 3, 5])
})

const FP = 'a'.repeat(64)
const expect = { fingerprint: FP, shards: 2, ownShard: 0, castSize: 6, validatorPeers: new Set([0, 1]), minerPeers: new Set([2, 3, 4, 5]) }
const PEER_ID = '12D3KooWBHKwA6aRkehqhmQe3KGPj2LR7aQbTAXoae63NeQb9iCW'
const SS58 = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'
const good = (): Record<string, unknown> => ({
  fingerprint: FP,
  shard: { index: 1, count: 2 },
  seq: 3,
  peers: [{ peer: 1, alive: true, digests: [[0, 'b'.repeat(64)]] }, { peer: 3, alive: false, digests: [] }],
  validators: [{ peer: 1, sent: 10, verified: 9, latency: [[2, 120]] }],
  miners: [{ peer: 3, peerId: PEER_ID, addr: `/ip4/127.0.0.1/tcp/4000/ws/p2p/${PEER_ID}`, hotkey: SS58 }],
})

test('a well-formed worker report passes as typed data', () => {
  const r = parseWorkerReport(good(), expect)
  assert.equal(r.shard.index, 1)
  assert.deepEqual(r.peers[0]!.digests, [[0, 'b'.repeat(64)]])
  assert.deepEqual(r.validators[0]!.latency, [[2, 120]])
})

test('hostile worker reports are refused, naming the field', () => {
  const cases: [string, (r: Record<string, unknown>) => void, RegExp][] = [
    ['another scenario', (r) => void (r.fingerprint = 'b'.repeat(64)), /another scenario/],
    ['the coordinator’s shard', (r) => void (r.shard = { index: 0, count: 2 }), /coordinator's own/],
    ['another shard count', (r) => void (r.shard = { index: 1, count: 3 }), /shard count 3/],
    ['a peer of another shard', (r) => void ((r.peers as { peer: number }[])[0]!.peer = 2), /peers\[0\]\.peer is not a peer of shard 1\/2/],
    ['a peer twice', (r) => void ((r.peers as { peer: number }[])[1]!.peer = 1), /peer 1 twice/],
    ['a bad digest', (r) => void ((r.peers as { digests: unknown[] }[])[0]!.digests = [[0, '<script>']]), /digests\[0\]/],
    ['too many digests', (r) => void ((r.peers as { digests: unknown[] }[])[0]!.digests = Array.from({ length: MAX_DIGESTS_PER_PEER + 1 }, (_, i) => [i, 'b'.repeat(64)])), /at most 4096/],
    ['a miner posing as a validator', (r) => void ((r.validators as { peer: number }[])[0]!.peer = 3), /not an honest validator/],
    ['verified more than sent', (r) => void ((r.validators as { verified: number }[])[0]!.verified = 11), /verified ≤ sent/],
    ['a NaN latency', (r) => void ((r.validators as { latency: unknown }[])[0]!.latency = [[2, null]]), /latency\[0\]/],
    ['an unknown field', (r) => void (r.extra = 1), /unknown field "extra"/],
    ['a bad hotkey', (r) => void ((r.miners as { hotkey: string }[])[0]!.hotkey = 'x'), /SS58/],
    ['a validator posing as a miner', (r) => void ((r.miners as { peer: number }[])[0]!.peer = 1), /not a miner/],
    ['not an object', (r) => void (r.peers = 'all'), /peers must be a list/],
  ]
  for (const [what, spoil, message] of cases) {
    const r = good()
    spoil(r)
    assert.throws(() => parseWorkerReport(r, expect), (e: unknown) => e instanceof ShardError && message.test(e.message), what)
  }
  assert.throws(() => parseWorkerReport(null, expect), ShardError)
  assert.throws(() => parseWorkerReport([], expect), ShardError)
})

test('a coordinator reply is checked too', () => {
  const ok = parseCoordinatorReply({ phase: 'running', relay: ['/ip4/127.0.0.1/tcp/1/ws'], alive: [1, 3], miners: [] })
  assert.equal(ok.phase, 'running')
  assert.throws(() => parseCoordinatorReply({ phase: 'later', relay: [], alive: [], miners: [] }), ShardError)
  assert.throws(() => parseCoordinatorReply({ phase: 'done', relay: ['http://x'], alive: [], miners: [] }), ShardError)
})

test('the canonical scenario text does not depend on key order', () => {
  assert.equal(scenarioCanonical({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), scenarioCanonical({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }))
})

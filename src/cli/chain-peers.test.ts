import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PeerListing, SubtensorClient } from '../chain/subtensor/index.ts'
import type { Mesh } from '../p2p/index.ts'
import { P2PError } from '../p2p/index.ts'
import { dialChainPeers, publishableAddrs, publishPeerOnChain } from './chain-peers.ts'

const ID = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const OTHER = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'

test('a node publishes its direct addresses: no relayed ones, no private ones unless its relay is private', () => {
  const addrs = [`/ip4/127.0.0.1/tcp/4001/ws/p2p/${ID}`, `/ip4/203.0.113.7/tcp/4001/ws/p2p/${ID}`, `/ip4/203.0.113.1/tcp/9090/ws/p2p/${OTHER}/p2p-circuit/p2p/${ID}`]
  assert.deepEqual(publishableAddrs(addrs, ['/dns4/relay.example.org/tcp/443/wss/p2p/' + OTHER]), [`/ip4/203.0.113.7/tcp/4001/ws/p2p/${ID}`])
  assert.deepEqual(publishableAddrs(addrs, [`/ip4/127.0.0.1/tcp/9090/ws/p2p/${OTHER}`]), addrs.slice(0, 2))
})

const fakeMesh = (dialled: string[], fail: (a: string) => Error | null): Mesh =>
  ({
    peerId: OTHER,
    multiaddrs: [],
    libp2p: { getConnections: () => [] },
    connectAddr: async (a: string) => {
      dialled.push(a)
      const err = fail(a)
      if (err !== null) throw err
    },
  }) as unknown as Mesh

test('a validator dials each published peer, logs refused commitments and failed dials once, skips its own hotkey', async () => {
  const listing: PeerListing = {
    peers: new Map([
      ['5Miner', { peerId: ID, addrs: [`/ip4/10.0.0.1/tcp/1/ws/p2p/${ID}`, `/ip4/203.0.113.7/tcp/1/ws/p2p/${ID}`], block: 7 }],
      ['5Me', { peerId: '12D3KooWMe', addrs: ['/ip4/203.0.113.8/tcp/1/ws/p2p/12D3KooWMe'], block: 8 }],
      ['5Dead', { peerId: OTHER + 'x', addrs: ['/ip4/203.0.113.9/tcp/1/ws/p2p/x'], block: 9 }],
    ]),
    refused: [{ hotkey: '5Bad', error: 'not_webtensor', detail: 'no webtensor v1 header' }],
  }
  const client = { peers: async () => listing } as unknown as SubtensorClient
  const dialled: string[] = []
  const mesh = fakeMesh(dialled, (a) => (a.includes('10.0.0.1') ? new P2PError('private', { code: 'bad_address' }) : a.includes('203.0.113.9') ? new P2PError('no answer', { code: 'dial_failed' }) : null))
  const logs: string[] = []
  const d = dialChainPeers({ client, mesh, hotkey: '5Me', log: (l) => logs.push(l), intervalMs: 60_000 })
  await d.scan()
  await d.scan()
  d.stop()
  assert.ok(!dialled.some((a) => a.includes('203.0.113.8')), 'not its own')
  assert.equal(logs.filter((l) => l.includes('ignored the commitment of 5Bad (not_webtensor')).length, 1)
  assert.equal(logs.filter((l) => l.includes("no link to 5Dead's published node")).length, 1)
  assert.equal(logs.filter((l) => l.includes(`linked to 5Miner's node ${ID}`)).length, 2)
  assert.deepEqual(dialled.filter((a) => a.includes(ID)).slice(0, 2), listing.peers.get('5Miner')!.addrs)
})

test('a miner publishes once it holds a uid, not again while nothing changed, and retries after a refusal', async () => {
  let uid: number | undefined
  let handler: (() => void) | undefined
  const calls: string[][] = []
  let refuse = true
  const client = {
    uidOf: () => uid,
    onMetagraph: (h: () => void) => {
      handler = h
      return () => {}
    },
    publishPeer: async (_id: string, addrs: string[]) => {
      calls.push(addrs)
      if (refuse) {
        refuse = false
        throw new Error('CommitmentSetRateLimitExceeded')
      }
      return { changed: true, blockNumber: 5, bytes: 40 }
    },
  } as unknown as SubtensorClient
  const mesh = { peerId: ID, multiaddrs: [`/ip4/127.0.0.1/tcp/4001/ws/p2p/${ID}`] } as unknown as Mesh
  const logs: string[] = []
  const stop = publishPeerOnChain({ client, mesh, hotkey: '5Miner', bootstrap: [`/ip4/127.0.0.1/tcp/9090/ws/p2p/${OTHER}`], log: (l) => logs.push(l), retryMs: 0, checkMs: 60_000 })
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10))
  await settle()
  assert.equal(calls.length, 0, 'nothing before a uid')
  uid = 3
  handler!()
  await settle()
  handler!()
  await settle()
  handler!()
  await settle()
  stop()
  assert.equal(calls.length, 2, JSON.stringify(logs))
  assert.match(logs[0]!, /publishing the address failed .*retrying later/)
  assert.match(logs[1]!, /published 12D3KooW\S+ at \/ip4\/127\.0\.0\.1\/tcp\/4001\/ws\/p2p\/\S+ in block 5/)
})

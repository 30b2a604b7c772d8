import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelay, DialPlanner } from './dialer.ts'
import { allowedDialAddrs, dialableAddrs, isInsecureWebSocket, isPrivateAddr, isServerLike, shouldDial, transportOf, withPeerId } from './addrs.ts'

const RELAY = '/ip4/10.0.0.1/tcp/9090/ws/p2p/12D3KooWRelay'
const browserAddrs = (id: string) => [`${RELAY}/p2p-circuit/p2p/${id}`, `${RELAY}/p2p-circuit/webrtc/p2p/${id}`]
const nodeAddrs = (id: string) => [`/ip4/10.0.0.2/tcp/4001/p2p/${id}`, `/ip4/10.0.0.2/tcp/4002/ws/p2p/${id}`]

test('transport classification of addresses', () => {
  assert.equal(transportOf(browserAddrs('B')[1]), 'webrtc')
  assert.equal(transportOf(browserAddrs('B')[0]), 'circuit-relay')
  assert.equal(transportOf(nodeAddrs('N')[0]), 'tcp')
  assert.equal(transportOf(nodeAddrs('N')[1]), 'websockets')
  assert.equal(transportOf('/ip4/1.2.3.4/tcp/443/tls/ws'), 'websockets')
  assert.ok(isServerLike(nodeAddrs('N')))
  assert.ok(!isServerLike(browserAddrs('B')))
  assert.equal(withPeerId('/ip4/1.2.3.4/tcp/1', 'X'), '/ip4/1.2.3.4/tcp/1/p2p/X')
  assert.equal(withPeerId('/ip4/1.2.3.4/tcp/1/p2p/X', 'X'), '/ip4/1.2.3.4/tcp/1/p2p/X')
  assert.ok(isPrivateAddr('/ip4/127.0.0.1/tcp/1') && isPrivateAddr('/ip4/192.168.1.2/tcp/1') && isPrivateAddr('/ip4/172.20.0.1/tcp/1'))
  assert.ok(!isPrivateAddr('/ip4/8.8.8.8/tcp/1') && !isPrivateAddr('/ip4/172.32.0.1/tcp/1'))
})

test('browsers never get relayed-only or raw TCP addresses to dial; Node peers never get WebRTC', () => {
  assert.deepEqual(dialableAddrs('browser', browserAddrs('B')), [browserAddrs('B')[1]])
  assert.deepEqual(dialableAddrs('browser', nodeAddrs('N')), [nodeAddrs('N')[1]])
  assert.deepEqual(dialableAddrs('node', nodeAddrs('N')), nodeAddrs('N'))
  assert.deepEqual(dialableAddrs('node', browserAddrs('B')), [])
})

test('tie-break: exactly one side of every pair dials', () => {
  const peers = [
    { id: 'Ba', runtime: 'browser' as const, addrs: browserAddrs('Ba') },
    { id: 'Bz', runtime: 'browser' as const, addrs: browserAddrs('Bz') },
    { id: 'Na', runtime: 'node' as const, addrs: nodeAddrs('Na') },
    { id: 'Nz', runtime: 'node' as const, addrs: nodeAddrs('Nz') },
  ]
  for (const a of peers) {
    for (const b of peers) {
      if (a === b) continue
      const ab = shouldDial(a, b)
      const ba = shouldDial(b, a)
      assert.ok(ab !== ba, `${a.id}↔${b.id}: exactly one dials (got ${ab}, ${ba})`)
    }
  }
  assert.ok(shouldDial(peers[0], peers[2]), 'a browser dials a Node peer')
})

test('the planner dials one due peer at a time, backs off after failures, and stops at the target', () => {
  const p = new DialPlanner({ id: 'Bm', runtime: 'browser', allowPrivate: true }, { baseMs: 1000, maxMs: 8000 })
  for (const id of ['Ba', 'Bb', 'Bc']) p.heard(id, browserAddrs(id), 0)
  p.heard('Bz', browserAddrs('Bz'), 0) // higher id: it dials us, not we it (for 5 s)
  const first = p.next(new Set(), 0, 8, 0)
  assert.ok(first && ['Ba', 'Bb', 'Bc'].includes(first.id))
  assert.ok(first.addr.endsWith(`/webrtc/p2p/${first.id}`))
  p.failed(first.id, 0, 0.5)
  const second = p.next(new Set(), 0, 8, 0)
  assert.ok(second && second.id !== first.id, 'a failed peer waits for its back-off')
  assert.equal(p.next(new Set(['Ba', 'Bb', 'Bc']), 3, 8, 0), undefined, 'nothing left to dial (Bz is the tie-break dialler)')
  assert.equal(p.next(new Set(['Ba', 'Bb', 'Bc']), 3, 8, 5_000)?.id, 'Bz', 'Bz did not dial within 5 s: we do')
  assert.equal(p.next(new Set(), 2, 2, 0), undefined, 'target reached')
  assert.equal(p.next(new Set(['Bb', 'Bc']), 2, 8, 999)?.id === first.id ? 'due' : 'waiting', 'waiting')
  assert.equal(p.next(new Set(['Bb', 'Bc']), 2, 8, 1000)?.id, first.id, 'due again after the back-off')
  // A peer that says it is full is not dialled; a link it drops at once counts as a failure.
  const q = new DialPlanner({ id: 'Bm', runtime: 'browser', allowPrivate: true })
  q.heard('Ba', browserAddrs('Ba'), 0, 0)
  assert.equal(q.next(new Set(), 0, 8, 0), undefined)
  q.heard('Ba', browserAddrs('Ba'), 0, 3)
  assert.equal(q.next(new Set(), 0, 8, 0)?.id, 'Ba')
  q.succeeded('Ba', 0)
  q.disconnected('Ba', 500, 0.5)
  assert.equal(q.next(new Set(), 0, 8, 600), undefined, 'backing off after a refused link')
  // Node peers are dialled beyond the target (up to 4 more); browsers are not.
  const r = new DialPlanner({ id: 'Bm', runtime: 'browser', allowPrivate: true })
  r.heard('Ba', browserAddrs('Ba'), 0)
  r.heard('N1', nodeAddrs('N1'), 0)
  assert.equal(r.next(new Set(), 4, 4, 0)?.id, 'N1')
  assert.equal(r.next(new Set(['N1']), 8, 4, 0), undefined)
  // Between Node peers the target is the target: every one of them is server-like.
  const n = new DialPlanner({ id: 'Nz', runtime: 'node', allowPrivate: true })
  n.heard('N1', nodeAddrs('N1'), 0)
  assert.equal(n.next(new Set(), 3, 4, 0)?.id, 'N1')
  assert.equal(n.next(new Set(), 4, 4, 0), undefined)
  // Peers not heard of for long are forgotten.
  assert.equal(p.next(new Set(), 0, 8, 10_000_000), undefined)
  assert.equal(p.candidates.size, 0)
})

test('back-off grows exponentially with jitter, capped', () => {
  const opts = { baseMs: 1000, maxMs: 30_000 }
  assert.equal(backoffDelay(1, 0.5, opts), 1000)
  assert.equal(backoffDelay(3, 0.5, opts), 4000)
  assert.equal(backoffDelay(20, 0.5, opts), 30_000)
  assert.equal(backoffDelay(1, 0, opts), 750)
  assert.equal(backoffDelay(1, 0.999, opts), 1250)
})

test('private, loopback and local-network addresses are recognised wherever they sit in an address', () => {
  for (const a of [
    '/ip4/0.0.0.0/tcp/1', '/ip4/10.1.2.3/tcp/1', '/ip4/100.64.0.1/tcp/1', '/ip4/169.254.1.1/tcp/1', '/ip4/224.0.0.1/udp/1',
    '/ip6/::1/tcp/1', '/ip6/::/tcp/1', '/ip6/fd00::1/tcp/1', '/ip6/fe80::1/tcp/1', '/ip6/::ffff:192.168.0.1/tcp/1',
    '/dns4/localhost/tcp/1', '/dns/app.localhost/tcp/1/ws', '/dns6/LOCALHOST./tcp/1',
    // A circuit address through a public relay that names a private hop after it.
    '/ip4/8.8.8.8/tcp/443/tls/ws/p2p/R/p2p-circuit/ip4/127.0.0.1/tcp/1',
  ]) assert.ok(isPrivateAddr(a), a)
  for (const a of ['/ip4/8.8.8.8/tcp/1', '/ip6/2001:db8::1/tcp/1', '/dns4/relay.example.org/tcp/443/tls/ws', '/ip4/172.15.0.1/tcp/1']) assert.ok(!isPrivateAddr(a), a)
  assert.ok(isInsecureWebSocket('/ip4/8.8.8.8/tcp/80/ws') && !isInsecureWebSocket('/ip4/8.8.8.8/tcp/443/tls/ws') && !isInsecureWebSocket('/dns4/x.org/tcp/443/tls/sni/x.org/ws') && !isInsecureWebSocket('/ip4/8.8.8.8/tcp/443/wss'))
})

test('addresses learned from others are filtered before any dial unless private addresses are allowed', () => {
  const pub = '/ip4/8.8.8.8/tcp/443/tls/ws/p2p/N1'
  const plainWs = '/ip4/8.8.4.4/tcp/80/ws/p2p/N1'
  const tcp = '/ip4/8.8.4.4/tcp/4001/p2p/N1'
  const learned = ['/ip4/127.0.0.1/tcp/4002/ws/p2p/N1', '/ip4/192.168.1.5/tcp/4001/p2p/N1', plainWs, pub, tcp]
  assert.deepEqual(allowedDialAddrs('browser', learned, false), [pub, tcp])
  assert.deepEqual(allowedDialAddrs('node', learned, false), [plainWs, pub, tcp])
  assert.deepEqual(allowedDialAddrs('browser', learned, true), learned)

  // The planner keeps only the allowed ones, so nothing can dial the rest (browsers and Node alike).
  const browser = new DialPlanner({ id: 'Bm', runtime: 'browser' })
  browser.heard('N1', learned, 0)
  browser.heard('Lan', ['/ip4/10.0.0.7/tcp/4002/ws/p2p/Lan', ...browserAddrs('Lan')], 0)
  assert.deepEqual(browser.candidates.get('N1')?.addrs, [pub, tcp])
  assert.deepEqual(browser.candidates.get('Lan')?.addrs, [])
  const dials = new Set<string>()
  for (let t = 0; t < 20; t++) {
    const plan = browser.next(new Set(), 0, 4, t * 60_000 + 10_000)
    if (plan === undefined) break
    dials.add(plan.addr)
    browser.failed(plan.id, t * 60_000 + 10_000, 0.5)
  }
  assert.deepEqual([...dials], [pub])
  const node = new DialPlanner({ id: 'Nz', runtime: 'node' })
  node.heard('N1', learned, 0)
  assert.deepEqual(node.next(new Set(), 0, 4, 0), { id: 'N1', addr: tcp })
  // The local default (relay on a private address): LAN peers are dialled.
  const local = new DialPlanner({ id: 'Nz', runtime: 'node', allowPrivate: true })
  local.heard('N1', learned, 0)
  assert.deepEqual(local.next(new Set(), 0, 4, 0), { id: 'N1', addr: '/ip4/192.168.1.5/tcp/4001/p2p/N1' })
})

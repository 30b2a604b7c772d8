import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { makeSelfSignedCert } from '../../test/support/tls.ts'
import { CliUsageError, DEFAULT_TURN_TTL_S, parseNetFlags, type NetFlags } from './net-options.ts'

const files: Record<string, string> = { '/secret': 's3cret\n', '/empty': '  \n' }
const readFake = (p: string): string => {
  const v = files[p]
  if (v === undefined) throw new Error('ENOENT: no such file')
  return v
}
const readReal = (p: string): string => readFileSync(p, 'utf8')
const usage = (flags: NetFlags, re: RegExp, read = readFake): void =>
  assert.throws(() => parseNetFlags(flags, read), (e: unknown) => e instanceof CliUsageError && e.code === 'bad_flag' && re.test(e.message), `${JSON.stringify(flags)} → ${re}`)

test('no network flags: nothing configured', () => {
  assert.deepEqual(parseNetFlags({}, readFake), { announce: [], iceServers: [] })
})

test('--ice-servers, --announce, --turn with a secret file parse', () => {
  const got = parseNetFlags(
    {
      'ice-servers': '[{"urls":"stun:stun.example.org:3478"}]',
      announce: ['/dns4/relay.example.org/tcp/443/wss', '/ip4/203.0.113.7/tcp/443/tls/ws/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'],
      turn: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp'],
      'turn-secret-file': '/secret',
    },
    readFake,
  )
  assert.deepEqual(got.iceServers, [{ urls: ['stun:stun.example.org:3478'] }])
  assert.equal(got.announce.length, 2)
  assert.deepEqual(got.turn, { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp'], secret: 's3cret', ttlS: DEFAULT_TURN_TTL_S })
  assert.equal(parseNetFlags({ turn: ['turn:t:3478'], 'turn-secret-file': '/secret', 'turn-ttl': '600' }, readFake).turn?.ttlS, 600)
})

test('bad network flags are clear usage errors', () => {
  usage({ 'ice-servers': '[{urls:' }, /^--ice-servers must be JSON/)
  usage({ 'ice-servers': '{"urls":"stun:x"}' }, /^--ice-servers must be an array/)
  usage({ 'ice-servers': '[{"urls":"turn:x:3478"}]' }, /^--ice-servers\[0\] has TURN URLs and needs both username and credential/)
  usage({ announce: ['not-a-multiaddr'] }, /^--announce not-a-multiaddr: not a multiaddr/)
  usage({ announce: ['/dns4/relay.example.org/tcp/443'] }, /must be a WebSockets address/)
  usage({ announce: ['/ip4/1.2.3.4/tcp/1/ws/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/p2p-circuit'] }, /must be a WebSockets address/)
  usage({ turn: ['turn:t:3478'] }, /^--turn needs --turn-secret-file/)
  usage({ 'turn-secret-file': '/secret' }, /need at least one --turn URL/)
  usage({ turn: ['stun:t:3478'], 'turn-secret-file': '/secret' }, /must be a turn: or turns: URL/)
  usage({ turn: ['turn:bad host'], 'turn-secret-file': '/secret' }, /^--turn turn:bad host: must be a stun:, stuns:, turn: or turns: URL/)
  usage({ turn: ['turn:t'], 'turn-secret-file': '/missing' }, /^--turn-secret-file: cannot read \/missing: ENOENT/)
  usage({ turn: ['turn:t'], 'turn-secret-file': '/empty' }, /is empty/)
  usage({ turn: ['turn:t'], 'turn-secret-file': '/secret', 'turn-ttl': '10' }, /^--turn-ttl must be whole seconds in \[60, 604800\], got 10/)
  usage({ turn: ['turn:t'], 'turn-secret-file': '/secret', 'turn-ttl': '1e9' }, /--turn-ttl must be/)
  usage(
    { 'ice-servers': JSON.stringify(Array.from({ length: 8 }, () => ({ urls: 'stun:x' }))), turn: ['turn:t'], 'turn-secret-file': '/secret' },
    /at most 8 servers in all/,
  )
})

test('--tls-cert/--tls-key: both, readable, PEM, matching, valid now', () => {
  const a = makeSelfSignedCert(['127.0.0.1', 'localhost'])
  const b = makeSelfSignedCert(['127.0.0.1'])
  const tls = parseNetFlags({ 'tls-cert': a.certFile, 'tls-key': a.keyFile }).tls
  assert.deepEqual(tls, { cert: a.cert, key: a.key })
  usage({ 'tls-cert': a.certFile }, /^--tls-cert and --tls-key go together/, readReal)
  usage({ 'tls-key': a.keyFile }, /go together/, readReal)
  usage({ 'tls-cert': a.certFile, 'tls-key': b.keyFile }, /^--tls-key does not belong to the certificate/, readReal)
  usage({ 'tls-cert': a.keyFile, 'tls-key': a.keyFile }, /^--tls-cert is not a PEM certificate/, readReal)
  usage({ 'tls-cert': a.certFile, 'tls-key': a.certFile }, /^--tls-key is not a PEM private key/, readReal)
  usage({ 'tls-cert': join(dirname(a.certFile), 'nope.pem'), 'tls-key': a.keyFile }, /^--tls-cert: cannot read .*nope\.pem/, readReal)
  const garbage = join(dirname(a.certFile), 'garbage.pem')
  writeFileSync(garbage, 'hello')
  usage({ 'tls-cert': garbage, 'tls-key': a.keyFile }, /not a PEM certificate/, readReal)
})

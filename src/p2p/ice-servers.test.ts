import { test } from 'node:test'
import assert from 'node:assert/strict'
import { IceServerError, ICE_LIMITS, parseIceServers } from './ice-servers.ts'

test('STUN and TURN servers parse and urls become arrays', () => {
  const got = parseIceServers(
    [
      { urls: 'stun:stun.example.org:3478' },
      { urls: ['turn:10.0.0.1:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp'], username: '1767312000:ab', credential: 'c2VjcmV0' },
      { urls: 'stun:[2001:db8::1]:3478' },
    ],
    'iceServers',
  )
  assert.deepEqual(got, [
    { urls: ['stun:stun.example.org:3478'] },
    { urls: ['turn:10.0.0.1:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp'], username: '1767312000:ab', credential: 'c2VjcmV0' },
    { urls: ['stun:[2001:db8::1]:3478'] },
  ])
  assert.deepEqual(parseIceServers([], 'x'), [])
})

test('bad ICE servers are refused with the field named', () => {
  const bad: [unknown, RegExp][] = [
    [{ urls: 'stun:x' }, /^iceServers must be an array/],
    [[null], /^iceServers\[0\] must be an object/],
    [[{}], /^iceServers\[0\]\.urls must be a URL/],
    [[{ urls: [] }], /^iceServers\[0\]\.urls must be a URL/],
    [[{ urls: 'http://example.org' }], /^iceServers\[0\]\.urls\[0\] must be a stun:/],
    [[{ urls: 'stun:host name' }], /urls\[0\] must be a stun:/],
    [[{ urls: 'stun:x', password: 'p' }], /^iceServers\[0\]\.password is not a known field/],
    [[{ urls: 'stun:x:3478?transport=udp' }], /STUN URL: \?transport= applies to TURN only/],
    [[{ urls: 'turn:x:3478' }], /^iceServers\[0\] has TURN URLs and needs both username and credential/],
    [[{ urls: 'turn:x:3478', username: 'u' }], /needs both username and credential/],
    [[{ urls: 'turn:x', username: 'u', credential: 7 }], /^iceServers\[0\]\.credential must be a non-empty string/],
    [[{ urls: 'turn:x', username: 'u', credential: 'c'.repeat(ICE_LIMITS.credentialChars + 1) }], /credential must be/],
    [Array.from({ length: ICE_LIMITS.servers + 1 }, () => ({ urls: 'stun:x' })), /at most 8 allowed/],
    [[{ urls: Array.from({ length: ICE_LIMITS.urlsPerServer + 1 }, () => 'stun:x') }], /URLs, at most 8 allowed/],
    [[{ urls: `stun:${'a'.repeat(ICE_LIMITS.urlChars)}` }], /urls\[0\] must be a stun:/],
  ]
  for (const [input, re] of bad) {
    assert.throws(
      () => parseIceServers(input, 'iceServers'),
      (e: unknown) => e instanceof IceServerError && e.code === 'bad_ice_servers' && re.test(e.message),
      `${JSON.stringify(input).slice(0, 80)} → ${re}`,
    )
  }
})

test('createMesh refuses a bad ICE server list before building anything', async () => {
  const { createMesh } = await import('./mesh.ts')
  const { hotkeyFromSecret } = await import('../identity/identity.ts')
  const signer = await hotkeyFromSecret('//IceTest')
  await assert.rejects(
    createMesh({ netuid: 1, signer, bootstrap: [], iceServers: [{ urls: ['turn:turn.example.org:3478'] }] }),
    (e: unknown) => e instanceof IceServerError && /iceServers\[0\] has TURN URLs/.test(e.message),
  )
})

// The payload schemas of the chain's kinds (register, weights, commit, reveal, metagraph, epoch):
// exact field sets, u64 decimals, 32-byte hashes in one spelling.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MessageKind, Payloads } from './envelope.ts'
import { isHash32, isU64Decimal, validatePayload } from './schema.ts'

const HASH = `0x${'0f'.repeat(32)}`
const valid: { [K in 'register' | 'weights' | 'commit' | 'reveal' | 'metagraph' | 'epoch']: Payloads[K] } = {
  register: { block: 7, nonce: '42', seal: HASH },
  weights: { epoch: 1, uids: [0, 3], weights: [1, 65535], versionKey: '0' },
  commit: { hash: HASH },
  reveal: { uids: [3, 0], weights: [65535, 1], salt: [1, 2, 3, 4, 5, 6, 7, 8], versionKey: '9' },
  metagraph: { block: 9, epoch: 0, tempo: 10, neurons: [], chain: { genesis: HASH, session: 's', head: 0, headHash: HASH }, blockHash: HASH, difficulty: '10000000' },
  epoch: { epoch: 1, block: 8, incentive: [], dividends: [], digest: 'd', chain: { genesis: HASH, session: 's' }, logSeq: 2 },
}

const check = (kind: MessageKind, payload: unknown): string => {
  const r = validatePayload(kind, payload)
  return r.ok ? 'ok' : r.detail
}

test('valid payloads of every chain kind pass', () => {
  for (const [kind, payload] of Object.entries(valid)) assert.equal(check(kind as MessageKind, payload), 'ok', kind)
})

test('u64 decimals: canonical, below 2^64', () => {
  for (const ok of ['0', '1', '18446744073709551615', '10000000000000000000']) assert.ok(isU64Decimal(ok), ok)
  for (const bad of ['', '-1', '01', '1.0', '+1', ' 1', '18446744073709551616', '99999999999999999999', '100000000000000000000', 'abc', 1, 1n, null]) assert.ok(!isU64Decimal(bad), String(bad))
})

test('32-byte hashes: 0x and 64 lowercase hex digits only', () => {
  assert.ok(isHash32(HASH))
  for (const bad of [HASH.toUpperCase(), `0X${'0f'.repeat(32)}`, HASH.slice(2), `${HASH}0`, HASH.slice(0, -1), `0x${'g'.repeat(64)}`, 7]) assert.ok(!isHash32(bad), String(bad))
})

test('every chain kind refuses unknown and missing fields', () => {
  for (const [kind, payload] of Object.entries(valid)) {
    assert.match(check(kind as MessageKind, { ...payload, extra: 1 }), /unknown field extra/, kind)
    for (const key of Object.keys(payload)) {
      const { [key]: _gone, ...rest } = payload as Record<string, unknown>
      assert.match(check(kind as MessageKind, rest), new RegExp(`missing ${key}`), `${kind} without ${key}`)
    }
  }
  assert.match(check('metagraph', { ...valid.metagraph, chain: { ...valid.metagraph.chain, extra: 1 } }), /chain: unknown field extra/)
  assert.match(check('epoch', { ...valid.epoch, chain: { genesis: HASH, session: 's', head: 0 } }), /chain: unknown field head/)
  assert.match(check('metagraph', { ...valid.metagraph, chain: { genesis: HASH, session: 's' } }), /chain: missing head/)
})

test('register, commit, reveal and the new fields refuse bad values', () => {
  const bad: [MessageKind, unknown, string][] = [
    ['register', { ...valid.register, block: -1 }, 'block'],
    ['register', { ...valid.register, block: 1.5 }, 'block'],
    ['register', { ...valid.register, nonce: '18446744073709551616' }, 'nonce'],
    ['register', { ...valid.register, nonce: 42 }, 'nonce'],
    ['register', { ...valid.register, seal: HASH.toUpperCase() }, 'seal'],
    ['commit', { hash: HASH.slice(0, 65) }, 'hash'],
    ['reveal', { ...valid.reveal, uids: [3, 3] }, 'duplicate uid'],
    ['reveal', { ...valid.reveal, weights: [1] }, 'uids and weights differ in length'],
    ['reveal', { ...valid.reveal, weights: [65536, 1] }, 'weights'],
    ['reveal', { ...valid.reveal, salt: new Array(33).fill(1) }, 'salt'],
    ['reveal', { ...valid.reveal, salt: [70000] }, 'salt'],
    ['reveal', { ...valid.reveal, versionKey: '-1' }, 'versionKey'],
    ['weights', { ...valid.weights, versionKey: '00' }, 'versionKey'],
    ['metagraph', { ...valid.metagraph, blockHash: 'x' }, 'blockHash'],
    ['metagraph', { ...valid.metagraph, difficulty: '1e6' }, 'difficulty'],
    ['metagraph', { ...valid.metagraph, chain: { ...valid.metagraph.chain, head: -1 } }, 'chain head'],
    ['metagraph', { ...valid.metagraph, chain: { ...valid.metagraph.chain, headHash: '0x' } }, 'chain headHash'],
    ['metagraph', { ...valid.metagraph, chain: { ...valid.metagraph.chain, session: '' } }, 'chain session'],
    ['metagraph', { ...valid.metagraph, chain: { ...valid.metagraph.chain, session: 'x'.repeat(65) } }, 'chain session'],
    ['metagraph', { ...valid.metagraph, chain: 'run' }, 'chain'],
    ['epoch', { ...valid.epoch, chain: { genesis: 'g', session: 's' } }, 'chain genesis'],
    ['epoch', { ...valid.epoch, logSeq: -2 }, 'logSeq'],
  ]
  for (const [kind, payload, detail] of bad) assert.equal(check(kind, payload), detail, `${kind} ${JSON.stringify(payload)}`)
  // The longest salt allowed.
  assert.equal(check('reveal', { ...valid.reveal, salt: new Array(32).fill(65535) }), 'ok')
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { permitsOf, subnetAuthorize } from './door.ts'

const OWNER = '5Owner'
const graph = { neurons: [{ hotkey: 'validator', validatorPermit: true }, { hotkey: 'miner', validatorPermit: false }] }

test('chain state only from the owner (rejected); weights, commits and reveals only with a permit (ignored)', () => {
  const door = subnetAuthorize(OWNER, () => permitsOf(graph))
  const verdict = (kind: Parameters<typeof door>[0], hotkey: string) => {
    const d = door(kind, hotkey)
    return d === null ? 'ok' : `${d.reason}/${d.action}`
  }
  for (const kind of ['metagraph', 'epoch'] as const) {
    assert.equal(verdict(kind, OWNER), 'ok')
    assert.equal(verdict(kind, 'validator'), 'wrong_role/reject')
  }
  for (const kind of ['weights', 'commit', 'reveal'] as const) {
    assert.equal(verdict(kind, 'validator'), 'ok', kind)
    assert.equal(verdict(kind, OWNER), 'ok', kind)
    assert.equal(verdict(kind, 'miner'), 'no_permit/ignore', kind)
    assert.equal(verdict(kind, 'stranger'), 'no_permit/ignore', kind)
  }
  // Registration is open to anyone: the chain checks the proof of work.
  for (const hotkey of ['stranger', 'miner', 'validator', OWNER]) assert.equal(verdict('register', hotkey), 'ok')
  assert.equal(verdict('announce', 'stranger'), 'ok')
})

test('before any metagraph, permits are unknown and nothing is refused for want of one', () => {
  const door = subnetAuthorize(OWNER, () => undefined)
  for (const kind of ['weights', 'commit', 'reveal'] as const) assert.equal(door(kind, 'stranger'), null)
  const empty = subnetAuthorize(OWNER, () => permitsOf(null))
  assert.equal(empty('reveal', 'stranger'), null)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Mesh } from '../p2p/index.ts'
import { parseScenario } from '../simulate/scenario.ts'
import { parseManifest } from '../subnet/manifest.ts'
import { createPartition, faultGaps, partitionAt } from './simulate-faults.ts'
import { exactModeGaps } from './simulate-exact.ts'

const ROOT = new URL('../..', import.meta.url).pathname
const base = parseManifest(JSON.parse(readFileSync(join(ROOT, 'subnets', 'default.json'), 'utf8')))
const builtin = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, 'subnets', 'scenarios', `${name}.json`), 'utf8'))

/** A mesh with only what the partition touches: its peer id and its links. */
function fakeMesh(peerId: string, links: string[], closed: string[]): Mesh {
  return {
    peerId,
    libp2p: { getConnections: () => links.map((remote) => ({ remotePeer: { toString: () => remote }, close: async () => void closed.push(`${peerId}-${remote}`), abort: () => {} })) },
  } as unknown as Mesh
}

test('a partition gates links across groups (round-robin by cast index, the owner in group 0) and heals', async () => {
  const p = createPartition()
  const closed: string[] = []
  // Owner (-1), peers 0..3; each linked to every other.
  const ids = ['owner', 'p0', 'p1', 'p2', 'p3']
  const detach = ids.map((id, k) => p.attach(k - 1, fakeMesh(id, ids.filter((x) => x !== id), closed)))
  assert.equal(p.denyFor(1)('owner'), false, 'no partition: nothing is refused')
  const n = await p.set(2)
  // Group 0: owner, p0, p2; group 1: p1, p3. Each crossing link is closed from both ends: 2 × 3 × 2.
  assert.equal(n, 12)
  assert.ok(closed.includes('p1-owner') && closed.includes('owner-p3') && !closed.includes('p0-p2') && !closed.includes('p1-p3'))
  assert.equal(p.denyFor(1)('owner'), true)
  assert.equal(p.denyFor(1)('p3'), false)
  assert.equal(p.denyFor(0)('p2'), false)
  assert.equal(p.denyFor(2)('p1'), true)
  assert.equal(p.denyFor(1)('relay'), false, 'peers outside the cast (the relay) stay reachable')
  detach[2]!() // p1 stopped: its id is forgotten
  assert.equal(p.denyFor(0)('p1'), false)
  await p.set(null)
  assert.equal(p.denyFor(1)('owner'), false, 'healed')
})

test('the fault timeline: when a partition starts and heals; what the coordinator refuses', () => {
  const s = parseScenario(builtin('faults-exact'), base)
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((e) => partitionAt(s, e)), [undefined, undefined, undefined, 2, null, undefined, undefined])
  assert.deepEqual(exactModeGaps(s), [])
  assert.match(exactModeGaps(s, { index: 0, count: 2 }).join(), /a partition over several shards/)
  const flooded = parseScenario({ ...builtin('cheaters-exact'), faults: [{ atEpoch: 2, kind: 'partition', groups: 2 }] }, base)
  assert.deepEqual(faultGaps(flooded, { index: 0, count: 1 }), ['a partition with a query flooder (its mesh is outside the partition and would bridge it)'])
  const noPartition = parseScenario({ ...builtin('faults-exact'), faults: [{ atEpoch: 2, kind: 'restart-relay' }] }, base)
  assert.deepEqual(faultGaps(noPartition, { index: 1, count: 3 }), [])
})

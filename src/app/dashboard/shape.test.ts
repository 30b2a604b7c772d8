import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { EpochDetail } from '../../chain/log-verifier.ts'
import { bondsHeatmap, heatColour, linkOf, metagraphRows, nextSort, peerGraph, plotData, raoToTao, rewardPlotData, sortRows, type DashboardEpoch } from './shape.ts'

function detail(n: number, f: (uid: number) => Partial<Record<keyof EpochDetail, unknown>> = () => ({})): EpochDetail {
  const d: EpochDetail = { hotkey: [], stake: [], consensus: [], incentive: [], dividends: [], validator_trust: [], emission: [], validator_permit: [], last_update: [], active: [], bonds: [] }
  for (let uid = 0; uid < n; uid++) {
    const o = f(uid)
    d.hotkey.push((o.hotkey as string) ?? `5hk${uid}`)
    d.stake.push((o.stake as string) ?? '0')
    d.consensus.push((o.consensus as number) ?? 0)
    d.incentive.push((o.incentive as number) ?? 0)
    d.dividends.push((o.dividends as number) ?? 0)
    d.validator_trust.push((o.validator_trust as number) ?? 0)
    d.emission.push((o.emission as string) ?? '0')
    d.validator_permit.push((o.validator_permit as boolean) ?? false)
    d.last_update.push((o.last_update as number) ?? 0)
    d.active.push((o.active as boolean) ?? true)
    d.bonds.push((o.bonds as [number, number][]) ?? [])
  }
  return d
}
const epoch = (e: number, d: EpochDetail): DashboardEpoch => ({ genesis: '0xg', epoch: e, block: e * 10, seq: e, digest: '0x', detail: d })

test('plot data: epochs ascending on x, one series per uid, shares as 0..1, emission in τ, null before a uid existed', () => {
  const epochs = [epoch(3, detail(3, (u) => ({ incentive: 65535 * (u === 2 ? 1 : 0), emission: '1500000000' }))), epoch(1, detail(2, (u) => ({ incentive: u === 0 ? 65535 : 0 }))), epoch(2, detail(2))]
  const inc = plotData(epochs, 'incentive')
  assert.deepEqual(inc.uids, [0, 1, 2])
  assert.deepEqual(inc.data, [[1, 2, 3], [1, 0, 0], [0, 0, 0], [null, null, 1]])
  const em = plotData(epochs, 'emission')
  assert.deepEqual(em.data[3], [null, null, 1.5])
  // A duplicate epoch (re-read after a reload) counts once, the later copy winning.
  assert.deepEqual(plotData([...epochs, epoch(1, detail(2, () => ({ incentive: 32768 })))], 'incentive').data[0], [1, 2, 3])
  assert.deepEqual(plotData([], 'dividends'), { uids: [], data: [[]] })
})

test('256 uids × 100 epochs shape into 257 arrays of 100 points', () => {
  const epochs = Array.from({ length: 100 }, (_, e) => epoch(e, detail(256, (u) => ({ dividends: (u * 7 + e) % 65536 }))))
  const { uids, data } = plotData(epochs, 'dividends')
  assert.equal(uids.length, 256)
  assert.equal(data.length, 257)
  assert.ok(data.every((a) => a.length === 100))
})

test('rao to τ is exact for whole and fractional amounts; junk is NaN', () => {
  assert.equal(raoToTao('1000000000'), 1)
  assert.equal(raoToTao('123456789012'), 123.456789012)
  assert.ok(Number.isNaN(raoToTao('-1')))
  assert.ok(Number.isNaN(raoToTao('1e9')))
})

test('reward history shaped: epochs sorted, incentive and dividends as shares', () => {
  assert.deepEqual(rewardPlotData([{ epoch: 5, incentive: 65535, dividends: 0 }, { epoch: 4, incentive: 0, dividends: 32767.5 }]), [[4, 5], [0, 1], [0.5, 0]])
})

test('metagraph rows carry the SDK field names; sorting by each column is stable by uid, rao compared as integers', () => {
  const d = detail(4, (u) => ({ stake: ['9', '10', '100000000000000000000', '10'][u], emission: ['5', '0', '5', '1'][u], incentive: [1, 3, 2, 3][u], hotkey: ['5b', '5a', '5d', '5c'][u], validator_permit: u === 1 }))
  const rows = metagraphRows(epoch(1, d))
  assert.deepEqual(Object.keys(rows[0]!), ['uid', 'hotkey', 'stake', 'consensus', 'incentive', 'dividends', 'emission', 'validator_trust', 'validator_permit', 'last_update', 'active'])
  const uids = (col: Parameters<typeof sortRows>[1], dir: 'ascending' | 'descending'): number[] => sortRows(rows, col, dir).map((r) => r.uid)
  assert.deepEqual(uids('stake', 'ascending'), [0, 1, 3, 2], 'a 21-digit stake is the largest, and 9 < 10 (not string order)')
  assert.deepEqual(uids('stake', 'descending'), [2, 1, 3, 0], 'ties stay in uid order')
  assert.deepEqual(uids('incentive', 'descending'), [1, 3, 2, 0])
  assert.deepEqual(uids('emission', 'ascending'), [1, 3, 0, 2])
  assert.deepEqual(uids('hotkey', 'ascending'), [1, 0, 3, 2])
  assert.deepEqual(uids('validator_permit', 'descending'), [1, 0, 2, 3])
  assert.deepEqual(nextSort(null, 'incentive'), { column: 'incentive', direction: 'descending' })
  assert.deepEqual(nextSort(null, 'uid'), { column: 'uid', direction: 'ascending' })
  assert.deepEqual(nextSort({ column: 'incentive', direction: 'descending' }, 'incentive'), { column: 'incentive', direction: 'ascending' })
})

test('bonds heatmap: validators as rows, bonded uids as columns, values as shares; the colour darkens with the value', () => {
  const h = bondsHeatmap([[], [[0, 65535], [3, 16384]], [], [[3, 0]], [[2, 32768]]])
  assert.deepEqual(h.rows, [1, 4])
  assert.deepEqual(h.cols, [0, 2, 3])
  assert.equal(h.cells.length, 3)
  assert.equal(h.max, 1)
  assert.deepEqual(bondsHeatmap([[], []]), { rows: [], cols: [], cells: [], max: 0 })
  const light = Number(/(\d+)%\)$/.exec(heatColour(0.1, 1))![1])
  const dark = Number(/(\d+)%\)$/.exec(heatColour(1, 1))![1])
  assert.ok(dark < light)
})

test('peer graph: self in the centre, peers on a circle, circuits drawn through their relay', () => {
  const links = [linkOf('R', '/ip4/10.0.0.1/tcp/9090/ws/p2p/R'), linkOf('B', '/ip4/10.0.0.1/tcp/9090/ws/p2p/R/p2p-circuit/p2p/B'), linkOf('A', '/ip4/10.0.0.1/tcp/9090/ws/p2p/R/p2p-circuit/webrtc/p2p/A'), linkOf('A', '/ip4/10.0.0.1/tcp/9090/ws/p2p/R/p2p-circuit/webrtc/p2p/A')]
  assert.deepEqual(links.map((l) => l.transport), ['websockets', 'circuit-relay', 'webrtc', 'webrtc'])
  assert.equal(links[1]!.relay, 'R')
  const g = peerGraph('ME', links, { width: 400, height: 300 })
  assert.deepEqual(g.nodes.map((n) => n.id), ['ME', 'A', 'B', 'R'])
  assert.deepEqual(g.edges, [
    { from: 'ME', to: 'R', transport: 'websockets' },
    { from: 'R', to: 'B', transport: 'circuit-relay' },
    { from: 'ME', to: 'A', transport: 'webrtc' },
  ])
  const [self, ...around] = g.nodes
  assert.deepEqual([self!.x, self!.y], [200, 150])
  for (const n of around) assert.ok(Math.abs(Math.hypot(n.x - 200, n.y - 150) - 110) < 1e-9, 'on the circle')
  // A circuit whose relay link is not open still shows how it goes.
  const lone = peerGraph('ME', [linkOf('B', '/dns4/r.example/tcp/443/wss/p2p/R/p2p-circuit/p2p/B')], { width: 100, height: 100 })
  assert.deepEqual(lone.edges.map((e) => `${e.from}-${e.to}:${e.transport}`), ['R-B:circuit-relay', 'ME-R:relay reservation'])
})

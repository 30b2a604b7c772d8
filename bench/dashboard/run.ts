/**
 * Dashboard bench (`npm run bench:dashboard`): how long the dashboard takes to draw a subnet of
 * 256 uids with 100 epochs of history (metagraph table, three uPlot charts of 256 series, bonds
 * heatmap), and to take one more epoch (the live case: each new epoch re-renders everything), in
 * headless Chromium. Each figure is the time from the call to the end of the next frame
 * (requestAnimationFrame, then a macrotask), so layout and paint are in it. The last line is JSON.
 */
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { openScriptPage } from '../../test/support/script-page.ts'

const view = fileURLToPath(new URL('../../src/app/dashboard/view.ts', import.meta.url))
const main = `
import { mountDashboard } from ${JSON.stringify(view)}

function epoch(e, n, validators) {
  const u16 = (f) => Array.from({ length: n }, (_, uid) => Math.round(65535 * f(uid)) % 65536)
  const wave = (uid) => (Math.sin(uid * 0.37 + e * 0.11) + 1) / 2
  return {
    genesis: '0xbench', epoch: e, block: e * 361, seq: e * 40, digest: '0x',
    detail: {
      hotkey: Array.from({ length: n }, (_, uid) => '5Bench' + String(uid).padStart(42, '0')),
      stake: Array.from({ length: n }, (_, uid) => String((uid < validators ? 1000 : 1) * 1e9 + uid)),
      consensus: u16(wave), incentive: u16((uid) => uid < validators ? 0 : wave(uid) / (n / 2)), dividends: u16((uid) => uid < validators ? 1 / validators : 0),
      validator_trust: u16((uid) => uid < validators ? 0.9 : 0), emission: Array.from({ length: n }, (_, uid) => String(Math.round(wave(uid) * 1e9))),
      validator_permit: Array.from({ length: n }, (_, uid) => uid < validators), last_update: Array.from({ length: n }, () => e * 361 - 5),
      active: Array.from({ length: n }, () => true),
      bonds: Array.from({ length: n }, (_, uid) => uid < validators ? Array.from({ length: n - validators }, (_, j) => [validators + j, Math.round(65535 * wave(j))]).filter(([, b]) => b > 0) : []),
    },
  }
}
const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]

window.benchDashboard = async (n, epochs, updates) => {
  const root = document.createElement('div')
  root.style.width = '1200px'
  document.body.replaceChildren(root)
  const history = Array.from({ length: epochs }, (_, e) => epoch(e, n, 16))
  const view = mountDashboard(root, {})
  await frame()
  let t = performance.now()
  view.setEpochs(history)
  await frame()
  const first = performance.now() - t
  const each = []
  for (let k = 0; k < updates; k++) {
    history.shift()
    history.push(epoch(epochs + k, n, 16))
    t = performance.now()
    view.setEpochs(history)
    await frame()
    each.push(performance.now() - t)
  }
  const idle = []
  let last = performance.now()
  for (let k = 0; k < 30; k++) {
    await new Promise((r) => requestAnimationFrame(r))
    const now = performance.now()
    idle.push(now - last)
    last = now
  }
  const points = [...root.querySelectorAll('figure[data-plot]')].filter((f) => !f.hidden).map((f) => Number(f.dataset.points) * Number(f.dataset.series))
  view.destroy()
  return { first, updateMedian: median(each), updateP95: p95(each), idleFrameMedian: median(idle), points }
}
`
const page = await openScriptPage('dashboard-bench', main, 'benchDashboard')
const results: Record<string, unknown> = {}
try {
  const r = (x: number): number => Math.round(x * 10) / 10
  for (const [n, epochs] of [[16, 100], [256, 100]] as const) {
    await page.page.evaluate(([a, b]) => (window as unknown as { benchDashboard(n: number, e: number, u: number): Promise<unknown> }).benchDashboard(a, b, 3), [n, epochs] as const) // warm-up
    const f = (await page.page.evaluate(([a, b]) => (window as unknown as { benchDashboard(n: number, e: number, u: number): Promise<unknown> }).benchDashboard(a, b, 20), [n, epochs] as const)) as { first: number; updateMedian: number; updateP95: number; idleFrameMedian: number; points: number[] }
    console.log(`${n} uids × ${epochs} epochs: first render ${r(f.first)} ms; one more epoch ${r(f.updateMedian)} ms median, ${r(f.updateP95)} ms p95 (20 updates); idle frame ${r(f.idleFrameMedian)} ms; points per chart ${f.points.join(', ')}`)
    results[`${n}x${epochs}`] = { firstMs: r(f.first), updateMedianMs: r(f.updateMedian), updateP95Ms: r(f.updateP95), idleFrameMs: r(f.idleFrameMedian) }
  }
  if (page.errors.length > 0) console.log(`page errors: ${page.errors.join('; ')}`)
} finally {
  await page.close()
}
console.log(JSON.stringify({ bench: 'dashboard', cpu: cpus()[0]?.model, cores: cpus().length, load: loadavg()[0], date: new Date().toISOString(), results }))

/**
 * Exact-mode simulation with tabs (`npm run bench:simulate-tabs [-- --tabs 10 --nodes 20 --epochs 3]`):
 * a relay, the owner, `--nodes` Node peers (2 validators, the rest miners) and `--tabs` tabs of the
 * web app in headless Debian Chromium (honest miners), registration limits raised for a crowd, all through `runExact` as
 * `webtensor simulate` runs them. Measured: the time to start and register everyone, the wall time
 * of each epoch (against the chain's nominal tempo × block time: above it, the machine cannot keep
 * up), and memory per epoch — the peak sum of RSS, and of PSS (shared pages split among their
 * processes, so Chromium's shared libraries count once), over this process and its children
 * (Chromium's processes included), sampled every 2 s. Runs itself in a private network namespace
 * (loopback + a veth pair, as the browser tests do) when it can (root, `unshare`), so nothing
 * outside is contacted. The last line is JSON.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { parseManifest } from '../../src/subnet/manifest.ts'
import { parseScenario } from '../../src/simulate/index.ts'
import { runExact } from '../../src/cli/simulate-exact.ts'
import { DEFAULT_MODELS_DIR } from '../../src/cli/paths.ts'

const { values } = parseArgs({ options: { tabs: { type: 'string', default: '10' }, nodes: { type: 'string', default: '20' }, epochs: { type: 'string', default: '3' }, 'block-ms': { type: 'string', default: '1000' } } })

if (process.env.WEBTENSOR_NETNS !== '1' && process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0) {
  const setup = 'ip link set lo up && ip link add wt0 type veth peer name wt1 && ip addr add 10.77.0.1/24 dev wt0 && ip addr add 10.77.0.2/24 dev wt1 && ip link set wt0 up && ip link set wt1 up && (ip route add default via 10.77.0.2 dev wt0 || true)'
  const self = [process.execPath, ...process.execArgv, ...process.argv.slice(1)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const r = spawnSync('unshare', ['--net', '--', 'sh', '-c', `${setup} && exec ${self}`], { stdio: 'inherit', env: { ...process.env, WEBTENSOR_NETNS: '1' } })
  process.exit(r.status ?? 1)
}

const tabs = Number(values.tabs)
const nodes = Number(values.nodes)
const epochs = Number(values.epochs)
const blockTimeMs = Number(values['block-ms'])
const tempo = 10
const round = (x: number, d = 0): number => Math.round(x * 10 ** d) / 10 ** d
const loadAtStart = loadavg()[0]!

/**
 * This process and its descendants: summed RSS and PSS (kB), and how many are Chromium's. Read
 * asynchronously (the reads of /proc/PID/smaps_rollup walk every mapping, slow for processes with
 * large WebAssembly reservations: done synchronously on the event loop they starved the peers).
 */
async function treeMemory(): Promise<{ rssKb: number; pssKb: number; processes: number; chromium: number; chromiumRssKb: number }> {
  const parent = new Map<number, number>()
  const comm = new Map<number, string>()
  await Promise.all(
    (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(async (name) => {
      try {
        const stat = await readFile(`/proc/${name}/stat`, 'utf8')
        const close = stat.lastIndexOf(')')
        comm.set(Number(name), stat.slice(stat.indexOf('(') + 1, close))
        parent.set(Number(name), Number(stat.slice(close + 2).split(' ')[1]))
      } catch {
        // gone meanwhile
      }
    }),
  )
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === process.pid) return true
    return false
  }
  const out = { rssKb: 0, pssKb: 0, processes: 0, chromium: 0, chromiumRssKb: 0 }
  await Promise.all(
    [...parent.keys()].filter(inTree).map(async (pid) => {
      try {
        const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8')
        const rss = Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0)
        out.rssKb += rss
        out.pssKb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0)
        out.processes++
        if (/chrom/i.test(comm.get(pid) ?? '')) {
          out.chromium++
          out.chromiumRssKb += rss
        }
      } catch {
        // gone meanwhile
      }
    }),
  )
  return out
}

const base = parseManifest(JSON.parse(readFileSync(new URL('../../subnets/default.json', import.meta.url), 'utf8')))
const scenario = parseScenario(
  {
    name: `bench-tabs-${tabs}-${nodes}`,
    mode: 'exact',
    epochs,
    tempo,
    blockTimeMs,
    manifest: {
      validation: { queryIntervalMs: 1000, responseTimeoutMs: 5000, latencyTargetMs: 1500 },
      // Dozens of peers register at once: the default (1 per block, difficulty tuned for 4 per 50
      // blocks, so it climbs with every interval of more) makes the proofs of work the whole run.
      chain: { registration: { difficulty: '20000', targetRegistrationsPerInterval: 64, maxRegistrationsPerBlock: 8 } },
    },
    cast: [
      { behaviour: 'honest-validator', count: 2 },
      { behaviour: 'honest-miner', count: tabs, in: 'tab' },
      { behaviour: 'honest-miner', count: nodes - 2 },
    ],
    expectations: [{ kind: 'each-above', behaviour: 'honest-miner', metric: 'incentive', above: 0, fromEpoch: Math.min(1, epochs - 1) }],
  },
  base,
)

interface Sample { t: number; rssKb: number; pssKb: number; chromiumRssKb: number; processes: number; chromium: number }
const samples: Sample[] = []
const t0 = performance.now()
let sampling = false
const sampler = setInterval(() => {
  if (sampling) return
  sampling = true
  const t = performance.now()
  treeMemory().then((m) => samples.push({ t, ...m })).catch(() => {}).finally(() => (sampling = false))
}, 2000)
const marks: { epoch: number; t: number; online: number; tabsOnline: number }[] = []
let registeredAt: number | null = null
const result = await runExact(scenario, {
  modelsDir: DEFAULT_MODELS_DIR,
  // The coordinator's own lines (a tab or peer that did not start), not every peer's.
  log: (line) => {
    if (line.startsWith('simulate:')) console.error(line)
  },
  onStatus: (line) => {
    if (/peers registered/.test(line)) registeredAt = performance.now()
    console.error(line)
  },
  onEpoch: (p) => marks.push({ epoch: p.epoch, t: performance.now(), online: p.online?.peers ?? 0, tabsOnline: p.online?.tabs ?? 0 }),
})
clearInterval(sampler)
const start = registeredAt ?? t0
const perEpoch = marks.map((m, i) => {
  const from = i === 0 ? start : marks[i - 1]!.t
  // The samples of the epoch (or, for an epoch shorter than the sampling period, the latest one before its end).
  const inside = samples.filter((s) => s.t >= from && s.t <= m.t)
  const before = samples.filter((s) => s.t <= m.t).at(-1)
  const window = inside.length > 0 ? inside : before === undefined ? [] : [before]
  const peak = (k: 'rssKb' | 'pssKb' | 'chromiumRssKb'): number => Math.max(0, ...window.map((s) => s[k]))
  return { epoch: m.epoch, wall_s: round((m.t - from) / 1000, 2), peers_online: m.online, tabs_online: m.tabsOnline, peak_rss_sum_mb: round(peak('rssKb') / 1024), peak_pss_sum_mb: round(peak('pssKb') / 1024), peak_chromium_rss_mb: round(peak('chromiumRssKb') / 1024) }
})
const tabFigures = result.runs[0]!.tabs
const tabIncentive = tabFigures?.peers.map((t) => t.incentive) ?? []
const last = samples.at(-1)
console.log(`${tabs} tabs + ${nodes} Node peers (2 validators), ${epochs} epochs of ${tempo} blocks × ${blockTimeMs} ms (nominal ${round((tempo * blockTimeMs) / 1000, 1)} s each)`)
console.log(`start to everyone registered: ${round((start - t0) / 1000, 1)} s; processes in the tree at the end: ${last?.processes} (${last?.chromium} Chromium)`)
for (const e of perEpoch) console.log(`epoch ${e.epoch}: ${e.wall_s} s, ${e.peers_online} peers online (${e.tabs_online} tabs), peak RSS sum ${e.peak_rss_sum_mb} MB (Chromium ${e.peak_chromium_rss_mb} MB), peak PSS sum ${e.peak_pss_sum_mb} MB`)
console.log(`tabs earning incentive: ${tabIncentive.filter((x) => x > 0).length} of ${tabIncentive.length} (mean share per tab ${round(tabIncentive.reduce((s, x) => s + x, 0) / Math.max(1, tabIncentive.length), 4)}); delivery ${result.runs[0]!.series.delivery?.map((d) => round(d, 2)).join(', ')}`)
console.log(JSON.stringify({ bench: 'simulate-tabs', cores: cpus().length, mem_gb: round(totalmem() / 2 ** 30, 1), node: process.version, load_average_1m: { start: round(loadAtStart, 2), end: round(loadavg()[0]!, 2) }, tabs, nodes, epochs, tempo, block_ms: blockTimeMs, startup_s: round((start - t0) / 1000, 1), per_epoch: perEpoch, tabs_earning: tabIncentive.filter((x) => x > 0).length, wall_s: round((performance.now() - t0) / 1000, 1) }))
